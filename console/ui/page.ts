/// <reference lib="dom" />
// What every page of the console is: a part drawn once (a form that keeps what
// the user typed) and a live part drawn from the answers of the API paths the
// page follows, again at every change (server-sent events) or refresh (polling).

export interface Page {
  readonly title: string;
  /** Drawn once, above the live part. */
  readonly fixed?: HTMLElement;
  /** The API paths the live part is drawn from. */
  readonly sources: readonly string[];
  /** Draws the live part from the latest answers of `sources`, in their order. */
  draw(answers: readonly unknown[]): HTMLElement;
}
