// Household-side ledger pages: the notice board's print button, and confirmation for one
// button of a form (data-confirm-button), e.g. "reverse the entry" beside "keep the entry".
// No inline code: strict CSP.
document.addEventListener("click", function (event) {
  if (event.target.closest("[data-print]")) {
    window.print();
  }
});
document.addEventListener("submit", function (event) {
  var submitter = event.submitter;
  var message = submitter && submitter.getAttribute("data-confirm-button");
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});
