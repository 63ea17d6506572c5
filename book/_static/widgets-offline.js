// Serve the ipywidgets HTML manager, its fonts and its chunks from this site, not a CDN.
// Loaded after vendor/require.min.js and before vendor/html-manager/embed-amd.js.
(function () {
  const base = new URL("vendor/html-manager/", document.currentScript.src).href;
  window.__jupyter_widgets_assets_path__ = base;
  window.requirejs.config({
    paths: { "@jupyter-widgets/html-manager/dist": base.slice(0, -1) },
  });
})();
