// /me/pay: fetch a fresh payment code (POST) on load, shortly before it expires, and whenever
// the page becomes visible again; the server never writes on a GET. No inline code (strict CSP).
(function () {
  "use strict";
  var box = document.getElementById("pay-code");
  if (!box) { return; }
  var img = document.getElementById("pay-qr");
  var number = document.getElementById("pay-number");
  var status = document.getElementById("pay-status");
  var token = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var timer = null;
  var expiresAt = 0;
  var busy = false;

  function schedule(seconds) {
    clearTimeout(timer);
    // Refresh ten seconds before expiry, so a code being scanned is never a dead one.
    timer = setTimeout(refresh, Math.max(5, seconds - 10) * 1000);
  }

  function show(data) {
    img.src = data.qr;
    img.hidden = false;
    number.textContent = data.number;
    expiresAt = Date.now() + data.seconds * 1000;
    status.textContent = "";
    schedule(data.seconds);
  }

  function refresh() {
    if (busy || document.visibilityState === "hidden") { return; }
    busy = true;
    fetch(box.getAttribute("data-url"), {
      method: "POST", credentials: "same-origin",
      headers: {"X-CSRFToken": token, "Accept": "application/json"}
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(show).catch(function () {
      status.textContent = box.getAttribute("data-failed");
      schedule(20);
    }).then(function () { busy = false; });
  }

  setInterval(function () {
    if (expiresAt && Date.now() > expiresAt) {
      img.hidden = true;
      number.textContent = "";
      status.textContent = box.getAttribute("data-expired");
    }
  }, 1000);

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { refresh(); }
  });

  var seconds = parseInt(status.getAttribute("data-seconds"), 10);
  if (img.hidden || !seconds) {
    refresh();
  } else {
    expiresAt = Date.now() + seconds * 1000;
    schedule(seconds);
  }
})();
