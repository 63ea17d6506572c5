// Serve the ipywidgets HTML manager, its fonts and its chunks from this site, not a CDN.
// Loaded after vendor/require.min.js and before vendor/html-manager/embed-amd.js.
(function () {
  const base = new URL("vendor/html-manager/", document.currentScript.src).href;
  window.__jupyter_widgets_assets_path__ = base;
  window.requirejs.config({
    paths: { "@jupyter-widgets/html-manager/dist": base.slice(0, -1) },
  });
})();

// ipywidgets 8 typesets control labels with MathJax 2's MathJax.Hub.Queue
// (jupyter-widgets/ipywidgets#3829); this site serves MathJax 3. Map the call onto
// MathJax 3's typesetPromise, on whichever MathJax object is current, until MathJax 3 is up.
(function mathjax2Queue() {
  const mathjax = window.MathJax;
  if (mathjax && !mathjax.Hub) {
    mathjax.Hub = {
      Queue(command) {
        const element = Array.isArray(command) ? command[2] : undefined;
        if (element && window.MathJax.typesetPromise) {
          window.MathJax.typesetPromise([element]).catch(() => {});
        }
      },
    };
  }
  if (!(mathjax && mathjax.typesetPromise)) {
    setTimeout(mathjax2Queue, 50);
  }
})();
