// Applied before first paint: the saved choice, else the system preference.
(function () {
  var saved = null;
  try { saved = localStorage.getItem("agentops-theme"); } catch (e) { /* private mode */ }
  if (saved === "light" || saved === "dark") document.documentElement.dataset.theme = saved;
})();
