// The measure fixtures on the cpu backend, the reference for correctness.
import { defineFixtureTests } from './fixtureSuite.js';

defineFixtureTests('cpu');
