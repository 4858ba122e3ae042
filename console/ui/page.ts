/// <reference lib="dom" />
// What every page of the console is: a part drawn once (a form that keeps what
// the user typed) and a live part drawn again at each refresh.

export interface Page {
  readonly title: string;
  /** Drawn once, above the live part. */
  readonly fixed?: HTMLElement;
  /** Drawn when the page opens and again at every refresh. */
  live(): Promise<HTMLElement>;
}
