// What each label of a dataset means. MNIST's labels are the digits themselves; Fashion-MNIST
// (Xiao et al. 2017) keeps MNIST's file format with ten kinds of clothing; an import may name its
// own. Figures and tables show these names, and say "digit" only where the classes are digits.

/** Labels are 0..9 in every dataset VAE Lab reads (the per-class evaluation has ten slots). */
export const CLASS_COUNT = 10

export const DIGIT_NAMES: readonly string[] = Array.from({ length: CLASS_COUNT }, (_, d) =>
  String(d)
)

/** Fashion-MNIST's labels 0..9, as its authors name them. */
export const FASHION_MNIST_NAMES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot'
]

/** Dataset names under which an import is taken to be Fashion-MNIST when it names no classes. */
const FASHION_NAMES = /^(fashion|fashion[-_.]?mnist|f[-_]?mnist)$/i

/** The class names of a dataset: those it was imported with, else a known set's, else the digits. */
export function classNamesFor(dataset: string, declared?: readonly string[] | null): string[] {
  if (declared && declared.length === CLASS_COUNT) return [...declared]
  if (FASHION_NAMES.test(dataset)) return [...FASHION_MNIST_NAMES]
  return [...DIGIT_NAMES]
}

/** True when the classes are the digits 0..9 (figures then say "digit"). */
export function areDigits(names: readonly string[]): boolean {
  return names.length === CLASS_COUNT && names.every((n, i) => n === String(i))
}

/** How figures name one class: "digit" for digits, "class" otherwise. */
export function classNoun(names: readonly string[]): 'digit' | 'class' {
  return areDigits(names) ? 'digit' : 'class'
}

/** "3" for digits, "Dress" for named classes; an unknown label reads as its number. */
export function className(names: readonly string[], label: number): string {
  return names[label] ?? String(label)
}
