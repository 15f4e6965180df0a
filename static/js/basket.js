// The counter's basket: +/- buttons, the running total and what is left after; the confirm
// button is disabled after the first tap (the server's request key makes a second one harmless).
(function () {
  "use strict";
  var form = document.getElementById("basket");
  if (form) {
    var balance = parseInt(form.getAttribute("data-balance"), 10) || 0;
    var total = document.getElementById("basket-total");
    var left = document.getElementById("basket-left");
    var shortNote = document.getElementById("basket-short");
    var update = function () {
      var sum = 0;
      form.querySelectorAll("[data-product]").forEach(function (row) {
        var input = row.querySelector("input");
        var value = Math.max(0, parseInt(input.value, 10) || 0);
        sum += value * parseInt(row.getAttribute("data-points"), 10);
      });
      total.textContent = String(sum);
      left.textContent = String(balance - sum);
      shortNote.hidden = sum <= balance;
    };
    form.addEventListener("click", function (event) {
      var button = event.target.closest("[data-step]");
      if (!button) { return; }
      var row = button.closest("[data-product]");
      var input = row.querySelector("input");
      var stock = parseInt(row.getAttribute("data-stock"), 10);
      var value = (parseInt(input.value, 10) || 0) + parseInt(button.getAttribute("data-step"), 10);
      input.value = String(Math.min(stock, Math.max(0, value)));
      update();
    });
    form.addEventListener("input", update);
    update();
  }
  document.querySelectorAll("button[data-once]").forEach(function (button) {
    button.form.addEventListener("submit", function () {
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });
})();
