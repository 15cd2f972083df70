/** Settings shared by the lab and PyTorch sides of the benchmark suite (written to settings.json for Python). */
export const benchSettings = {
  fcn: {
    model: { kind: 'fcn' as const, hiddenWidths: [1024, 1024], weightVariance: 2, biasStd: 0.1 },
    batchSize: 128,
    learningRate: 0.01,
    /** Timed epochs over trainSize examples, after one warm-up epoch. */
    epochs: 3,
    trainSize: 4096,
  },
  cnn: {
    model: { kind: 'cnn' as const, filters: [32, 64], denseWidths: [] as number[], weightVariance: 2, biasStd: 0.1 },
    batchSize: 64,
    learningRate: 0.01,
    epochs: 2,
    trainSize: 1024,
  },
  forwardSize: 10_000,
  forwardRepeats: 3,
  spectralLayers: ['dense_1_kernel', 'dense_2_kernel', 'logits_kernel'],
};
