// The REST layer, on types generated from the API's OpenAPI document
// (`GET /v1/openapi.json`, built from the Rust route table and wire types):
// `rest/openapi.ts` (openapi-typescript) and `rest/operations.ts` (each
// operation's method and path), both written by `clients/ts/scripts/gen-rest`
// (scripts/test fails when they are stale). Nothing here restates a wire
// type: `RestClient.call` sends any operation by its operationId with typed
// path, query and body, and answers its typed success body; the named
// methods below are shorthands for what a room client needs.

import type { components, operations } from "./rest/openapi.js";
import { OPERATIONS, type OperationId } from "./rest/operations.js";

export { OPERATIONS, type OperationId };
export type { components, operations, paths } from "./rest/openapi.js";

/** Every named schema of the document (`Schemas["Meeting"]`, …). */
export type Schemas = components["schemas"];
export type DevTokenRequest = Schemas["DevTokenRequest"];
export type DevTokenResponse = Schemas["DevTokenResponse"];
export type CreateMeetingRequest = Schemas["CreateMeetingRequest"];
export type Meeting = Schemas["Meeting"];
export type MeetingRoleName = Schemas["MeetingRoleName"];
export type WsTicket = Schemas["WsTicket"];
export type Me = Schemas["Me"];
export type ErrorBody = Schemas["ErrorBody"];
export type ErrorCodeName = Schemas["ErrorCode"];

type Op<O extends OperationId> = operations[O];
/** An operation's path parameters (`never` when it has none). */
export type PathParams<O extends OperationId> =
  Op<O> extends { parameters: { path: infer P } } ? P : never;
/** An operation's query parameters. */
export type QueryParams<O extends OperationId> =
  Op<O> extends { parameters: { query?: infer Q } } ? Q : never;
/** An operation's JSON request body (`never` when it takes none). */
export type RequestBody<O extends OperationId> =
  Op<O> extends { requestBody: { content: { "application/json": infer B } } } ? B : never;
type OkStatus = 200 | 201 | 202 | 204;
/** What an operation answers on success (`undefined` for 204). */
export type Success<O extends OperationId> = {
  [S in keyof Op<O>["responses"] & OkStatus]: Op<O>["responses"][S] extends {
    content: { "application/json": infer J };
  }
    ? J
    : undefined;
}[keyof Op<O>["responses"] & OkStatus];

/** What `call` sends besides the operation. */
export interface CallArgs<O extends OperationId> {
  path?: PathParams<O>;
  query?: QueryParams<O>;
  body?: RequestBody<O>;
  headers?: Record<string, string>;
}

/** The API's one error body: `{"error": {code, message, details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCodeName | "HTTP_ERROR",
    message: string,
    readonly details: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = "ApiError";
  }
}

/** Where the room client gets a fresh single-use ticket for each connection. */
export type TicketSource = () => Promise<string>;

export class RestClient {
  private readonly baseUrl: string;

  /**
   * `baseUrl`: the API's origin, e.g. `http://127.0.0.1:8787`. `token`:
   * the bearer for signed-in calls (set later with `withToken`).
   */
  constructor(
    baseUrl: string,
    readonly token?: string,
    private readonly fetchImpl: typeof fetch = globalThis.fetch.bind(globalThis),
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
  }

  /** The same API as another caller. */
  withToken(token: string): RestClient {
    return new RestClient(this.baseUrl, token, this.fetchImpl);
  }

  /**
   * Any operation of the spec by its operationId, e.g.
   * `call("meetings_get", { path: { meeting_id } })`. Throws `ApiError`
   * on a non-2xx answer.
   */
  async call<O extends OperationId>(op: O, args: CallArgs<O> = {}): Promise<Success<O>> {
    const { method, path } = OPERATIONS[op];
    const params = (args.path ?? {}) as Record<string, string>;
    let url = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new TypeError(`${op}: path parameter ${name} is missing`);
      return encodeURIComponent(value);
    });
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries((args.query ?? {}) as Record<string, unknown>)) {
      if (value !== undefined && value !== null) query.set(name, String(value));
    }
    if ([...query].length > 0) url += `?${query}`;
    return this.request<Success<O>>(method, url, args.body, args.headers);
  }

  /** A raw request (`path` with its query); prefer `call`. */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<T> {
    const headers: Record<string, string> = { ...extraHeaders };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = null;
    }
    if (!response.ok) {
      const error = (json as Partial<ErrorBody> | null)?.error;
      throw new ApiError(
        response.status,
        error?.code ?? "HTTP_ERROR",
        error?.message ?? text.slice(0, 200),
        error?.details ?? null,
      );
    }
    return (json ?? undefined) as T;
  }

  /** `POST /v1/dev/token` (local development only). */
  devToken(body: DevTokenRequest): Promise<DevTokenResponse> {
    return this.call("dev_token", { body });
  }

  /** `GET /v1/me`; the first signed-in call creates the user's row. */
  me(): Promise<Me> {
    return this.call("me");
  }

  createMeeting(body: CreateMeetingRequest): Promise<Meeting> {
    return this.call("meetings_create", { body });
  }

  getMeeting(id: string): Promise<Meeting> {
    return this.call("meetings_get", { path: { meeting_id: id } });
  }

  startMeeting(id: string): Promise<Meeting> {
    return this.call("meetings_start", { path: { meeting_id: id } });
  }

  wsTicket(meetingId: string): Promise<WsTicket> {
    return this.call("meetings_ws_ticket", { path: { meeting_id: meetingId } });
  }

  /** A ticket source for `RoomClient`: a fresh ticket per connection. */
  ticketSource(meetingId: string): TicketSource {
    return async () => (await this.wsTicket(meetingId)).ticket;
  }

  /** The room's WebSocket URL for a ticket. */
  roomUrl(meetingId: string, ticket: string): string {
    const ws = this.baseUrl.replace(/^http/, "ws");
    const path = OPERATIONS.meetings_ws.path.replace("{meeting_id}", encodeURIComponent(meetingId));
    return `${ws}${path}?ticket=${encodeURIComponent(ticket)}`;
  }
}

/**
 * Signs in as a local development user: a dev token, then `GET /v1/me` so
 * the user exists (meeting invitations need the row).
 */
export async function devSignIn(
  baseUrl: string,
  userId: string,
  orgId = "org_demo",
  fetchImpl?: typeof fetch,
): Promise<RestClient> {
  const anonymous = new RestClient(baseUrl, undefined, fetchImpl);
  const { access_token } = await anonymous.devToken({
    user_id: userId,
    org_id: orgId,
    ttl_secs: 3600,
  });
  const signedIn = anonymous.withToken(access_token);
  await signedIn.me();
  return signedIn;
}
