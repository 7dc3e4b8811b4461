/**
 * plotly.js is large (several MB); it is loaded on first use, after the page's table and
 * text have painted, from the server's own copy (no CDN).
 */
let loading = null;

export function loadPlotly() {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = new URL('static/vendor/plotly.min.js', document.baseURI).toString();
      script.async = true;
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error('plotly.js did not load')));
      script.onerror = () => {
        loading = null;
        reject(new Error('Could not load plotly.js from the server (static/vendor/plotly.min.js).'));
      };
      document.head.append(script);
    });
  }
  return loading;
}

/**
 * The config of every plot on every page. plotly.js 4 puts a "Share chart" button in the mode
 * bar by default that uploads the chart to Plotly Cloud (`plotlyServerURL`): a local-first tool
 * never offers to send data away, so the button is off and the upload address is empty.
 */
export function plotConfig(extra = {}) {
  return { responsive: true, displaylogo: false, showSendToCloud: false, plotlyServerURL: '', showTips: false, ...extra };
}

/** Colours for charts from the current theme's CSS variables. */
export function chartTheme() {
  const css = getComputedStyle(document.documentElement);
  const v = (name) => css.getPropertyValue(name).trim();
  return { bg: v('--surface'), text: v('--text'), muted: v('--text-muted'), grid: v('--grid'), font: v('--font-sans') };
}
