// The Connvo Edge browser demo: a thin UI over @connvo/client. Sign in as
// a local dev user, create (and start) or join a meeting, then the room's
// live notes, transcript (with a caption box as a stand-in for speech),
// chat, presence and prompts.

import { RestClient, RoomClient, devSignIn, diffOp } from "@connvo/client";
import type { ConnectionStatus, PromptView } from "@connvo/client";
import { type as textType } from "ot-text-unicode";

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

// The API is served from the page's origin (vite proxies /v1 to the backend).
const API = window.location.origin;

let rest: RestClient | null = null;
let room: RoomClient | null = null;

function setStatus(status: ConnectionStatus | string, text = status): void {
  const el = $("status");
  el.dataset.status = status;
  el.textContent = text;
}

$("signin-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const user = $<HTMLInputElement>("user-id").value.trim();
  const org = $<HTMLInputElement>("org-id").value.trim();
  try {
    rest = await devSignIn(API, user, org);
    $("whoami").textContent = `Signed in as ${user} (${org}).`;
    $("meeting").hidden = false;
    setStatus("idle", "signed in");
  } catch (e) {
    $("whoami").textContent = `Sign-in failed: ${(e as Error).message}`;
  }
});

$("create-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!rest) return;
  const invite = $<HTMLInputElement>("invite")
    .value.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  try {
    const meeting = await rest.createMeeting({
      title: $<HTMLInputElement>("title").value,
      participants: invite.map((user_id) => ({ user_id, role: "participant" as const })),
    });
    await rest.startMeeting(meeting.id);
    join(meeting.id, meeting.title);
  } catch (e) {
    setStatus("closed", `create failed: ${(e as Error).message}`);
  }
});

$("join-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const id = $<HTMLInputElement>("meeting-id").value.trim();
  if (!rest || !id) return;
  try {
    const meeting = await rest.getMeeting(id);
    join(meeting.id, meeting.title);
  } catch (e) {
    setStatus("closed", `join failed: ${(e as Error).message}`);
  }
});

/** UTF-16 offset (the textarea's) to Unicode scalar offset (the op's), and back. */
function toScalar(text: string, utf16: number): number {
  return Array.from(text.slice(0, utf16)).length;
}
function toUtf16(text: string, scalar: number): number {
  return Array.from(text).slice(0, scalar).join("").length;
}

function join(meetingId: string, title: string): void {
  if (!rest) return;
  room?.disconnect();
  const api = rest;
  const client = new RoomClient({
    meetingId,
    url: (ticket) => api.roomUrl(meetingId, ticket),
    ticket: api.ticketSource(meetingId),
  });
  room = client;
  (window as unknown as { connvoRoom: RoomClient }).connvoRoom = client;
  $("signin").hidden = true;
  $("meeting").hidden = true;
  $("room").hidden = false;
  $("room-title").textContent = title;
  $("room-id").textContent = meetingId;
  const notes = $<HTMLTextAreaElement>("notes");
  notes.value = "";
  notes.disabled = true;

  client.on("status", (s) => setStatus(s, s === "closed" ? `closed: ${client.closeReason?.reason}` : s));
  client.on("welcome", (w) => ($("role").textContent = `you: ${w.user_id} (${w.role})`));
  client.on("role", (r) => ($("role").textContent = `you: ${client.userId} (${r})`));
  client.on("state", (s) => ($("meeting-state").textContent = s.state));

  client.on("notes", ({ content, version, remote }) => {
    $("notes-version").textContent = `v${version}`;
    notes.disabled = false;
    if (!remote || notes.value === content) return;
    // Keep the caret where the user had it, moved past the remote change.
    const op = diffOp(notes.value, content);
    const start = textType.transformPosition(toScalar(notes.value, notes.selectionStart), op);
    const end = textType.transformPosition(toScalar(notes.value, notes.selectionEnd), op);
    notes.value = content;
    notes.setSelectionRange(toUtf16(content, start), toUtf16(content, end));
  });
  notes.addEventListener("input", () => client.setNotesText(notes.value));

  client.on("transcript", (chunks) =>
    renderFeed("transcript-list", chunks.slice(-50), (c) => [
      c.speaker_id ?? c.source,
      c.text,
      c.final ? "final" : "interim",
    ]),
  );
  $("caption-form").onsubmit = (ev) => {
    ev.preventDefault();
    const input = $<HTMLInputElement>("caption");
    if (input.value.trim() && client.caption(input.value.trim())) input.value = "";
  };

  client.on("chat", (messages) =>
    renderFeed("chat-list", messages.slice(-100), (m) => [m.user_id, m.text, ""]),
  );
  $("chat-form").onsubmit = (ev) => {
    ev.preventDefault();
    const input = $<HTMLInputElement>("chat-input");
    const text = input.value.trim();
    if (!text) return;
    input.value = "";
    void client.sendChat(text).catch(() => undefined);
  };

  client.on("presence", (users) => {
    $("presence-list").replaceChildren(
      ...users.map((u) => {
        const li = document.createElement("li");
        li.dataset.user = u.user_id;
        li.className = [u.online ? "online" : "offline", u.speaking ? "speaking" : ""].join(" ");
        li.textContent = `${u.user_id} · ${u.role}${u.in_call ? " · in call" : ""}${u.speaking ? " · speaking" : ""}`;
        return li;
      }),
    );
  });
  $<HTMLInputElement>("speaking").onchange = (ev) =>
    client.setSpeaking((ev.target as HTMLInputElement).checked);

  client.on("prompts", (prompts) => renderPrompts(client, prompts));
  client.connect();
}

/** Renders a feed (transcript, chat): one `<b>who</b> text` line per item, newest in view. */
function renderFeed<T extends { seq: number }>(
  listId: string,
  items: T[],
  line: (item: T) => [who: string, text: string, className: string],
): void {
  const list = $(listId);
  list.replaceChildren(
    ...items.map((item) => {
      const [who, text, className] = line(item);
      const li = document.createElement("li");
      li.dataset.seq = String(item.seq);
      li.className = className;
      const b = document.createElement("b");
      b.textContent = who;
      li.append(b, ` ${text}`);
      return li;
    }),
  );
  list.scrollTop = list.scrollHeight;
}

function renderPrompts(client: RoomClient, prompts: PromptView[]): void {
  $("prompt-list").replaceChildren(
    ...prompts.map((p) => {
      const li = document.createElement("li");
      const text = document.createElement("p");
      text.textContent = `${p.idea_kind}: ${p.content}`;
      li.append(text);
      for (const reaction of ["used", "upvoted", "dismissed"] as const) {
        const button = document.createElement("button");
        button.textContent = `${reaction} (${p.tally[reaction]})`;
        button.className = p.mine === reaction ? "mine" : "";
        button.onclick = () => client.react(p.prompt_id, reaction);
        li.append(button);
      }
      return li;
    }),
  );
}
