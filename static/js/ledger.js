// The award page's "select all shown" box (no inline handlers: strict CSP).
document.querySelectorAll("[data-select-all-box]").forEach(function (box) {
  box.hidden = false;
});
document.addEventListener("change", function (event) {
  var selector = event.target.getAttribute("data-select-all");
  if (!selector) {
    return;
  }
  document.querySelectorAll(selector).forEach(function (box) {
    box.checked = event.target.checked;
  });
});
