/** Drainable is a served TCP connection that can be asked to finish its work and close. */
export interface Drainable {
  /** stop reading; close once every request already read has its answer written */
  drain(): void
}
