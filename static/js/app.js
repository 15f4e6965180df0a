// Lianxin's own script: confirmation before irreversible steps (no inline handlers: strict CSP).
document.addEventListener("submit", function (event) {
  var message = event.target.getAttribute("data-confirm");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
