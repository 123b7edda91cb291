/**
 * A bare HTTP/1.1 client for sequential GETs over one kept-alive connection, for measurements in
 * which the client shares the machine with what it measures. `fetch` costs Node 20's client
 * 0.7-1.2 ms of CPU per request on this 2-core VM (this one: 50-75 µs), and that CPU was taken
 * at the moment the replicated change was on its way to the other nodes.
 *
 * @module
 */
import { connect, type Socket } from "node:net";

const HEADER_END = "\r\n\r\n";

export interface Http1Response {
  status: number;
  body: string;
}

export class Http1Client {
  #socket: Socket;
  #buffered = "";
  #wake: (() => void) | undefined;
  #failure: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.setEncoding("latin1");
    socket.on("data", (text: string) => {
      this.#buffered += text;
      this.#wake?.();
    });
    const fail = (error?: Error) => {
      this.#failure ??= error ?? new Error("connection closed");
      this.#wake?.();
    };
    socket.on("error", fail);
    socket.on("close", () => fail());
  }

  /** Connects to 127.0.0.1:`port`. */
  static connect(port: number): Promise<Http1Client> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.off("error", reject);
        resolve(new Http1Client(socket));
      });
      socket.once("error", reject);
    });
  }

  /** GET `path` with `headers`; the whole response, or a rejection after `timeoutMs`. */
  async get(
    path: string,
    headers: Record<string, string>,
    timeoutMs = 10_000,
  ): Promise<Http1Response> {
    let request = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
    for (const [name, value] of Object.entries(headers)) request += `${name}: ${value}\r\n`;
    this.#socket.write(`${request}\r\n`);
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const response = this.#take();
      if (response) return response;
      if (this.#failure) throw this.#failure;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`No whole response to GET ${path} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  close(): void {
    this.#socket.destroy();
  }

  /** The first whole response in the buffer, removed from it; undefined while it is partial. */
  #take(): Http1Response | undefined {
    const text = this.#buffered;
    const end = text.indexOf(HEADER_END);
    if (end < 0) return undefined;
    const head = text.slice(0, end);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
    if (!Number.isInteger(status)) {
      throw new Error(`Not an HTTP/1.1 response: ${head.slice(0, 40)}`);
    }
    let at = end + HEADER_END.length;
    let body = "";
    if (/^transfer-encoding: *chunked/im.test(head)) {
      for (;;) {
        const line = text.indexOf("\r\n", at);
        if (line < 0) return undefined;
        const size = parseInt(text.slice(at, line), 16);
        if (Number.isNaN(size)) throw new Error("Bad chunk size in a response");
        if (text.length < line + 2 + size + 2) return undefined;
        body += text.slice(line + 2, line + 2 + size);
        at = line + 2 + size + 2;
        if (size === 0) break; // no trailers: the app sends none
      }
    } else {
      const length = Number(/^content-length: *(\d+)/im.exec(head)?.[1] ?? 0);
      if (text.length < at + length) return undefined;
      body = text.slice(at, at + length);
      at += length;
    }
    this.#buffered = text.slice(at);
    return { status, body };
  }
}
