// The few REST calls a room client needs (docs/api.md): a dev token, the
// caller's profile (whose first call creates the user), creating and
// starting a meeting, and the WebSocket ticket.
//
// Hand-written for now, and kept small on purpose: issue 15 item 1 serves
// an OpenAPI spec generated from the Rust types, and the REST types and
// calls are to be generated from it. When that spec lands, replace this
// file with the generated client; the room client depends only on the
// `TicketSource` function type below, so nothing else has to change.

/** The API's one error body: `{"error": {code, message, details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: unknown,
  ) {
    super(`${status} ${code}: ${message}`);
    this.name = "ApiError";
  }
}

/** `POST /v1/dev/token` (local development only). */
export interface DevTokenRequest {
  user_id: string;
  org_id?: string;
  role?: string;
  email?: string;
  ttl_secs?: number;
}

export interface DevTokenResponse {
  access_token: string;
  token_type: "Bearer";
  expires_in: number;
  expires_at: number;
  claims: Record<string, unknown>;
}

export type MeetingRoleName = "host" | "cohost" | "participant" | "observer";

/** `POST /v1/meetings`. */
export interface CreateMeetingRequest {
  title: string;
  description?: string;
  scheduled_at?: number;
  duration_ms?: number;
  recording_enabled?: boolean;
  transcription_enabled?: boolean;
  participants?: { user_id: string; role?: Exclude<MeetingRoleName, "host"> }[];
}

/** The meeting object (only the fields a client of the room needs are typed). */
export interface Meeting {
  id: string;
  title: string;
  organizer_id: string;
  state: "scheduled" | "active" | "concluded" | "cancelled";
  [field: string]: unknown;
}

export interface WsTicket {
  ticket: string;
  expires_at: number;
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

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
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
      const error = (json as { error?: { code?: string; message?: string; details?: unknown } })
        ?.error;
      throw new ApiError(
        response.status,
        error?.code ?? "HTTP_ERROR",
        error?.message ?? text.slice(0, 200),
        error?.details ?? null,
      );
    }
    return json as T;
  }

  devToken(body: DevTokenRequest): Promise<DevTokenResponse> {
    return this.request("POST", "/v1/dev/token", body);
  }

  /** `GET /v1/me`; the first signed-in call creates the user's row. */
  me(): Promise<Record<string, unknown>> {
    return this.request("GET", "/v1/me");
  }

  async createMeeting(body: CreateMeetingRequest): Promise<Meeting> {
    const created = await this.request<Meeting | { meeting: Meeting }>("POST", "/v1/meetings", body);
    return "meeting" in created && typeof created.meeting === "object"
      ? (created.meeting as Meeting)
      : (created as Meeting);
  }

  getMeeting(id: string): Promise<Meeting> {
    return this.request("GET", `/v1/meetings/${encodeURIComponent(id)}`);
  }

  startMeeting(id: string): Promise<Meeting> {
    return this.request("POST", `/v1/meetings/${encodeURIComponent(id)}/start`, {});
  }

  wsTicket(meetingId: string): Promise<WsTicket> {
    return this.request("POST", `/v1/meetings/${encodeURIComponent(meetingId)}/ws-ticket`, {});
  }

  /** A ticket source for `RoomClient`: a fresh ticket per connection. */
  ticketSource(meetingId: string): TicketSource {
    return async () => (await this.wsTicket(meetingId)).ticket;
  }

  /** The room's WebSocket URL for a ticket. */
  roomUrl(meetingId: string, ticket: string): string {
    const ws = this.baseUrl.replace(/^http/, "ws");
    return `${ws}/v1/meetings/${encodeURIComponent(meetingId)}/ws?ticket=${encodeURIComponent(ticket)}`;
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
