import type { ServerResponse } from 'node:http';
import { jsonAnswer, writeAnswer } from './challenge.js';

/** The one JSON answer on node:http: status, `content-type` and `content-length`, extra headers, the body. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  writeAnswer(res, jsonAnswer(status, body, headers));
}
