/** Whether this browser can draw WebGL traces (scattergl, parcoords); checked once. */
let supported = null;

export function webglSupported() {
  if (supported === null) {
    try {
      const canvas = document.createElement('canvas');
      supported = !!(canvas.getContext('webgl') || canvas.getContext('experimental-webgl'));
    } catch {
      supported = false;
    }
  }
  return supported;
}
