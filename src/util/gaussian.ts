/**
 * The one sampled Gaussian: taps exp(−i²/2σ²) at the integer offsets −radius…radius, normalised to sum 1 (a
 * separable 2-D kernel is the outer product). Callers choose the radius their reference uses: SSIM's 11-tap
 * window (radius 5), the transforms' ⌈3σ⌉, GBVS's round(2σ).
 */
export function gaussianKernel(sigma: number, radius: number): Float64Array {
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}
