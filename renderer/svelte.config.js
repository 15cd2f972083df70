// Svelte compiler settings of the renderer: every component uses runes ($state, $props).
export default {
  compilerOptions: {
    runes: true,
  },
};
