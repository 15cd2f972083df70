// The fused matMul on wasm with transpose flags and a bias, against the cpu backend. Without the
// overrides in main/tf/wasmKernels.ts, tfjs-backend-wasm 4.22 adds the wrong bias to every row after
// the first when a transpose flag is set or the batch is above 1, and rejects a 2-D bias.
import { before, test } from 'node:test';
import { assertRelativelyClose, type FusedCase, fusedProduct, initWasmWithFixes } from './backends.js';

const tolerance = 1e-4;

const cases: FusedCase[] = [];
for (const transposeA of [false, true]) {
  for (const transposeB of [false, true]) {
    const flags = `transposeA ${transposeA}, transposeB ${transposeB}`;
    // a is [5, 4] read as [5, 4] or its transpose [4, 5]; b likewise, so the product is [5, 3].
    const aShape = transposeA ? [4, 5] : [5, 4];
    const bShape = transposeB ? [3, 4] : [4, 3];
    cases.push({ name: `${flags}, 1-D bias`, aShape, bShape, biasShape: [3], transposeA, transposeB, activation: 'linear' });
    cases.push({ name: `${flags}, 1-D bias, relu`, aShape, bShape, biasShape: [3], transposeA, transposeB, activation: 'relu' });
    cases.push({ name: `${flags}, 2-D bias`, aShape, bShape, biasShape: [5, 3], transposeA, transposeB, activation: 'linear' });
    cases.push({ name: `${flags}, batched, 1-D bias`, aShape: [2, ...aShape], bShape: [2, ...bShape], biasShape: [3], transposeA, transposeB, activation: 'linear' });
  }
}
for (const activation of ['relu', 'relu6', 'elu', 'sigmoid', 'leakyrelu', 'prelu'] as const) {
  cases.push({ name: `batched, 1-D bias, ${activation}`, aShape: [2, 5, 4], bShape: [4, 3], biasShape: [3], transposeA: false, transposeB: false, activation });
}


before(async () => {
  await initWasmWithFixes();
});

test('fused matMul on wasm matches cpu', async (t) => {
  for (const fusedCase of cases) {
    await t.test(fusedCase.name, async () => {
      const expected = await fusedProduct('cpu', fusedCase);
      const actual = await fusedProduct('wasm', fusedCase);
      assertRelativelyClose(actual, expected, tolerance, 'fused product');
    });
  }
});
