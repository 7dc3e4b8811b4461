/**
 * Whether this browser can draw WebGL traces (scattergl, parcoords), and whether it draws them
 * fast. A software renderer (SwiftShader, llvmpipe: no GPU, or the GPU switched off) compiles
 * its shaders on the CPU: the first WebGL chart of a page then blocks it for seconds, where SVG
 * draws the same lines in a tenth of that. Checked once. `localStorage['trainui.webgl'] = '"fast"'`
 * (or '"slow"') overrides the guess.
 */
import { loadSetting } from '../state/settings.js';

let supported = null;
let renderer = '';

function probe() {
  if (supported !== null) return;
  try {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl') || canvas.getContext('experimental-webgl');
    supported = !!gl;
    if (gl) {
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      renderer = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER) || '');
      gl.getExtension('WEBGL_lose_context')?.loseContext(); // browsers allow only a few live contexts
    }
  } catch {
    supported = false;
  }
}

export function webglSupported() {
  probe();
  return supported;
}

/** WebGL drawn by a GPU: worth it for charts of many lines and points. */
export function webglFast() {
  probe();
  const told = loadSetting('webgl');
  if (told === 'fast' || told === 'slow') return supported && told === 'fast';
  return supported && !/swiftshader|llvmpipe|softpipe|software/i.test(renderer);
}
