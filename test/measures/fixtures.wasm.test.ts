// The measure fixtures on the wasm backend, the one studies run on without a native TensorFlow.
import { defineFixtureTests } from './fixtureSuite.js';

defineFixtureTests('wasm');
