/**
 * conv2d, max-pool2d and average-pool2d on NHWC fixed-point shares, generic over any protocol,
 * with TensorFlow's 'valid' and 'same' padding rules.
 *
 * conv2d: the protocol's im2col (local) turns the input into patches [n*oh*ow, kh*kw*c], so the
 * convolution is one matmulTrunc with the kernel reshaped to [kh*kw*c, filters] (the fast matmul;
 * 2 rounds on rep3), plus the bias. Error: that of matmulTrunc (1 ulp).
 * maxPool2d: im2col with the pool window, rows regrouped to [n*oh*ow*c, ph*pw], and the engine's
 * tournament max along the last axis (10 ceil(log2(ph*pw)) rounds on rep3); with 'same' padding the
 * padded taps get -2^(46-f) (a public mask) so they never win. Exact.
 * avgPool2d: the window sums (local) times the public 1/count of each output position (count
 * excludes padding, as TensorFlow), encoded with f + 8 bits, one truncation (1 round on rep3).
 * Error: 1 ulp plus |mean| * 2^-(f+9).
 */
import { RingTensor, type Conv2dGeometry } from '../../../tensor/index.js';
import type { Protocol, Share } from '../../protocol.js';
import { maxArgmax } from '../max.js';
import { fixedWord, fracBits, type FixedOptions } from './common.js';

/** Window geometry of pooling and convolution. */
export interface WindowOptions extends FixedOptions {
  /** Strides [height, width] (default: the window size for pooling, [1, 1] for conv2d). */
  strides?: readonly [number, number];
  /** Padding rule (default 'valid'). */
  padding?: 'valid' | 'same';
}

function nhwc(x: Share, what: string): [number, number, number, number] {
  if (x.shape.length !== 4)
    throw new RangeError(`${what} expects an NHWC tensor of rank 4, got [${x.shape.join(',')}]`);
  return x.shape as unknown as [number, number, number, number];
}

/**
 * 2-D convolution: x [n, h, w, c] with kernel [kh, kw, c, filters] and optional bias [filters].
 * @example const y = await conv2d(protocol, images, kernel, bias, { padding: 'same' });
 */
export async function conv2d<S extends Share>(
  p: Protocol<S>,
  x: S,
  kernel: S,
  bias: S | undefined,
  options: Omit<WindowOptions, 'strides'> & { strides?: readonly [number, number] } = {},
): Promise<S> {
  const f = fracBits(options);
  const [n, , , c] = nhwc(x, 'conv2d');
  if (kernel.shape.length !== 4 || kernel.shape[2] !== c)
    throw new RangeError(`conv2d: kernel [${kernel.shape.join(',')}] does not fit ${c} input channels`);
  const [kh, kw, , filters] = kernel.shape as unknown as [number, number, number, number];
  const g: Conv2dGeometry = {
    kernelSize: [kh, kw],
    strides: options.strides ?? [1, 1],
    padding: options.padding ?? 'valid',
  };
  const { patches, oh, ow } = p.im2col(x, g);
  let y = await p.matmulTrunc(patches, p.reshape(kernel, [kh * kw * c, filters]), f);
  if (bias !== undefined) y = p.add(y, bias);
  return p.reshape(y, [n, oh, ow, filters]);
}

/** Patches of x regrouped to [n*oh*ow, c, ph*pw], and the public validity mask [oh*ow, ph*pw] (1 = inside). */
function windows<S extends Share>(
  p: Protocol<S>,
  x: S,
  pool: readonly [number, number],
  o: WindowOptions,
  what: string,
) {
  const [, h, w, c] = nhwc(x, what);
  const g: Conv2dGeometry = {
    kernelSize: [pool[0], pool[1]],
    strides: o.strides ?? [pool[0], pool[1]],
    padding: o.padding ?? 'valid',
  };
  const { patches, oh, ow } = p.im2col(x, g);
  const taps = pool[0] * pool[1];
  const grouped = p.transpose(p.reshape(patches, [patches.shape[0]!, taps, c]), [0, 2, 1]);
  const mask = RingTensor.fill([1, h, w, 1], 1n).im2col(g).patches; // [oh*ow, taps]
  return { grouped, mask, oh, ow, c, taps };
}

/**
 * Max pooling over windows of `poolSize` (per channel).
 * @example const y = await maxPool2d(protocol, x, [2, 2]);
 */
export async function maxPool2d<S extends Share>(
  p: Protocol<S>,
  x: S,
  poolSize: readonly [number, number],
  options: WindowOptions = {},
): Promise<S> {
  const f = fracBits(options);
  const n = x.shape[0]!;
  const { grouped, mask, oh, ow, c, taps } = windows(p, x, poolSize, options, 'maxPool2d');
  let v = grouped;
  if (options.padding === 'same') {
    // padded taps (mask 0) get a very negative value so they never win
    const low = fixedWord(-(2 ** (46 - f)), f);
    const pen = new RingTensor([n, oh * ow, 1, taps]);
    for (let i = 0; i < pen.size; i++) pen.data[i] = mask.data[i % mask.size] === 1n ? 0n : low;
    v = p.addPublic(p.reshape(v, [n, oh * ow, c, taps]), pen);
  }
  const { max } = await maxArgmax(p, p.reshape(v, [n * oh * ow * c, taps]), -1);
  return p.reshape(max, [n, oh, ow, c]);
}

/** Average pooling over windows of `poolSize` (per channel; 'same' padding averages the valid taps only). */
export async function avgPool2d<S extends Share>(
  p: Protocol<S>,
  x: S,
  poolSize: readonly [number, number],
  options: WindowOptions = {},
): Promise<S> {
  const f = fracBits(options);
  const n = x.shape[0]!;
  const { grouped, mask, oh, ow, c } = windows(p, x, poolSize, options, 'avgPool2d');
  const sums = p.reshape(p.sum(grouped, 2), [n, oh * ow, c]);
  const bits = f + 8;
  const inv = new RingTensor([1, oh * ow, 1]);
  const taps = mask.shape[1]!;
  for (let r = 0; r < oh * ow; r++) {
    let count = 0;
    for (let k = 0; k < taps; k++) count += Number(mask.data[r * taps + k]!);
    inv.data[r] = fixedWord(1 / count, bits);
  }
  const mean = await p.truncate(p.mulPublic(sums, inv), bits);
  return p.reshape(mean, [n, oh, ow, c]);
}
