// The meeting's check-in code refreshes itself: a new signed token every few seconds, so a
// photo of the screen stops working. Fetches are GETs; nothing is written by showing the code.
(function () {
  "use strict";
  var image = document.getElementById("check-in-code");
  if (!image) { return; }
  var source = image.getAttribute("data-src");
  var every = parseInt(image.getAttribute("data-refresh"), 10) || 15000;
  var count = document.getElementById("attendee-count");
  function refresh() {
    fetch(source, { credentials: "same-origin", cache: "no-store" }).then(function (response) {
      if (!response.ok) { return null; }
      if (count && response.headers.get("X-Attendees")) {
        count.textContent = response.headers.get("X-Attendees");
      }
      return response.blob();
    }).then(function (blob) {
      if (!blob) { return; }
      var old = image.src;
      image.src = URL.createObjectURL(blob);
      if (old.indexOf("blob:") === 0) { URL.revokeObjectURL(old); }
    }).catch(function () { /* offline for a moment: keep the last code, try again */ });
  }
  setInterval(refresh, every);
})();
