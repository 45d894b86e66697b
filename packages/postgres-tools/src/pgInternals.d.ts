// pg's internal modules that pg-cursor also uses (pg's exports map publishes ./lib/*); @types/pg
// does not describe them.
declare module 'pg/lib/result.js' {
  const Result: unknown;
  export default Result;
}
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): unknown };
  export default utils;
}
