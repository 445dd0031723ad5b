// What the conversion says about the fields it could not carry one-to-one. Pure.

/** A field that did not map one-to-one, what was done with it. */
export interface ImportWarning {
  path: string
  message: string
}

/** A field whose meaning lbctl cannot carry: the import is refused unless forced. */
export interface Uncarried {
  path: string
  reason: string
  /** What --force does with it. */
  forced: string
}

export const formatWarning = (w: ImportWarning): string => `${w.path}: ${w.message}`
