// A reusable QR scanner (templates/_macros/scanner.html): the rear camera, decoded by the
// browser's BarcodeDetector where it exists, else the self-hosted zxing-wasm reader, else jsQR
// (old iPhones, whose CSP lacks 'wasm-unsafe-eval'). When a code is read the camera stops, the
// text goes into the element named by data-target, and that element's form is submitted
// (or, with data-event-only, only a "scanner:code" event is sent). With data-skip-repeat="N" a
// code read again within N seconds of its last sighting (the same phone still in front of the
// desk's camera after the page came back) is ignored and scanning goes on. Camera refused or missing:
// a clear message, and the typed field gets the focus. No inline code (strict CSP).
(function () {
  "use strict";

  function text(root, name) { return root.getAttribute("data-msg-" + name) || ""; }

  function Scanner(root) {
    this.root = root;
    this.video = root.querySelector("video");
    this.status = root.querySelector("[data-scanner-status]");
    this.torch = root.querySelector("[data-scanner-torch]");
    this.start = root.querySelector("[data-scanner-start]");
    this.target = document.querySelector(root.getAttribute("data-target"));
    this.canvas = document.createElement("canvas");
    this.context = this.canvas.getContext("2d", {willReadFrequently: true});
    this.stream = null;
    this.decoders = [];
    this.done = false;
    this.torchOn = false;
    var self = this;
    this.start.addEventListener("click", function () { self.open(); });
    this.torch.addEventListener("click", function () { self.toggleTorch(); });
  }

  Scanner.prototype.say = function (message, bad) {
    this.status.textContent = message;
    this.status.classList.toggle("text-danger", !!bad);
  };

  Scanner.prototype.fallBackToTyping = function (message) {
    this.say(message, true);
    this.root.setAttribute("data-state", "failed");
    this.start.hidden = false;
    if (this.target) { this.target.focus(); }
  };

  // The decoders this browser has, best first; each is async(canvas) -> text or null.
  Scanner.prototype.prepareDecoders = function () {
    var self = this;
    var list = [];
    var ready = [];
    if ("BarcodeDetector" in window) {
      ready.push(window.BarcodeDetector.getSupportedFormats().then(function (formats) {
        if (formats.indexOf("qr_code") < 0) { return; }
        var detector = new window.BarcodeDetector({formats: ["qr_code"]});
        list.unshift({name: "native", read: function (canvas) {
          return detector.detect(canvas).then(function (found) {
            return found.length ? found[0].rawValue : null;
          });
        }});
      }).catch(function () {}));
    }
    if (window.ZXingWASM && window.WebAssembly) {
      var wasm = self.root.getAttribute("data-wasm");
      ready.push(window.ZXingWASM.prepareZXingModule({
        overrides: {locateFile: function (path, prefix) {
          return path.endsWith(".wasm") ? wasm : prefix + path;
        }},
        fireImmediately: true
      }).then(function () {
        list.push({name: "zxing", read: function (canvas) {
          var image = self.context.getImageData(0, 0, canvas.width, canvas.height);
          return window.ZXingWASM.readBarcodes(image, {formats: ["QRCode"], tryHarder: true,
                                                       maxNumberOfSymbols: 1})
            .then(function (found) { return found.length && found[0].isValid ? found[0].text : null; });
        }});
      }).catch(function () { /* no wasm here (CSP or old browser): jsQR below */ }));
    }
    return Promise.all(ready).then(function () {
      if (window.jsQR) {
        list.push({name: "jsqr", read: function (canvas) {
          var image = self.context.getImageData(0, 0, canvas.width, canvas.height);
          var found = window.jsQR(image.data, image.width, image.height,
                                  {inversionAttempts: "attemptBoth"});
          return Promise.resolve(found ? found.data : null);
        }});
      }
      // Keep the native detector first when it exists.
      list.sort(function (a, b) { return (a.name === "native" ? 0 : 1) - (b.name === "native" ? 0 : 1); });
      self.decoders = list;
      self.root.setAttribute("data-decoder", list.length ? list[0].name : "none");
    });
  };

  Scanner.prototype.open = function () {
    var self = this;
    self.start.hidden = true;
    self.done = false;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      self.fallBackToTyping(text(self.root, "insecure"));
      return;
    }
    self.say(text(self.root, "starting"));
    navigator.mediaDevices.getUserMedia({
      audio: false,
      video: {facingMode: {ideal: "environment"}, width: {ideal: 1280}, height: {ideal: 720}}
    }).then(function (stream) {
      self.stream = stream;
      self.video.srcObject = stream;
      self.video.hidden = false;
      return self.video.play();
    }).then(function () {
      self.showTorch();
      return self.decoders.length ? null : self.prepareDecoders();
    }).then(function () {
      if (!self.decoders.length) {
        self.fallBackToTyping(text(self.root, "nodecoder"));
        self.stop();
        return;
      }
      self.say(text(self.root, "scanning"));
      self.root.setAttribute("data-state", "scanning");
      self.loop();
    }).catch(function (error) {
      var name = error && error.name;
      self.stop();
      if (name === "NotAllowedError" || name === "SecurityError") {
        self.fallBackToTyping(text(self.root, "denied"));
      } else if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError") {
        self.fallBackToTyping(text(self.root, "nocamera"));
      } else {
        self.fallBackToTyping(text(self.root, "nocamera"));
      }
    });
  };

  Scanner.prototype.showTorch = function () {
    var track = this.stream && this.stream.getVideoTracks()[0];
    var capabilities = track && track.getCapabilities ? track.getCapabilities() : {};
    this.torch.hidden = !capabilities.torch;
  };

  Scanner.prototype.toggleTorch = function () {
    var track = this.stream && this.stream.getVideoTracks()[0];
    if (!track) { return; }
    var self = this;
    track.applyConstraints({advanced: [{torch: !self.torchOn}]}).then(function () {
      self.torchOn = !self.torchOn;
      self.torch.setAttribute("aria-pressed", String(self.torchOn));
    }).catch(function () { self.torch.hidden = true; });
  };

  Scanner.prototype.stop = function () {
    if (this.stream) {
      this.stream.getTracks().forEach(function (track) { track.stop(); });
    }
    this.stream = null;
    this.video.hidden = true;
    this.torch.hidden = true;
  };

  // Read a frame with each decoder in turn; a few frames a second is plenty and spares old phones.
  Scanner.prototype.loop = function () {
    var self = this;
    if (self.done || !self.stream) { return; }
    var width = self.video.videoWidth;
    var height = self.video.videoHeight;
    if (!width || !height) {
      setTimeout(function () { self.loop(); }, 150);
      return;
    }
    self.canvas.width = width;
    self.canvas.height = height;
    self.context.drawImage(self.video, 0, 0, width, height);
    var index = 0;
    function next() {
      if (index >= self.decoders.length) { return Promise.resolve(null); }
      var decoder = self.decoders[index++];
      return decoder.read(self.canvas).catch(function () { return null; }).then(function (found) {
        return found || next();
      });
    }
    next().then(function (found) {
      if (found && self.isRepeat(found)) {
        self.say(text(self.root, "repeat"));
        setTimeout(function () { self.loop(); }, 120);
      } else if (found) {
        self.found(found);
      } else {
        setTimeout(function () { self.loop(); }, 120);
      }
    });
  };

  // True when this value was read on this page within data-skip-repeat seconds of its last
  // sighting; each sighting renews the time, so a code held still is never sent twice.
  Scanner.prototype.isRepeat = function (value) {
    var seconds = parseInt(this.root.getAttribute("data-skip-repeat") || "0", 10);
    if (!seconds) { return false; }
    var key = "scanner-last:" + window.location.pathname;
    var now = Date.now();
    try {
      var last = JSON.parse(window.sessionStorage.getItem(key) || "null");
      window.sessionStorage.setItem(key, JSON.stringify({value: value, at: now}));
      return !!last && last.value === value && now - last.at < seconds * 1000;
    } catch (e) {
      return false;  // no session storage (private mode): every read counts
    }
  };

  Scanner.prototype.found = function (value) {
    this.done = true;
    this.stop();
    this.say(text(this.root, "found"));
    this.root.setAttribute("data-state", "found");
    this.root.dispatchEvent(new CustomEvent("scanner:code", {detail: value, bubbles: true}));
    if (this.target && !this.root.hasAttribute("data-event-only")) {
      this.target.value = value;
      if (this.target.form) { this.target.form.requestSubmit ? this.target.form.requestSubmit() : this.target.form.submit(); }
    }
  };

  document.querySelectorAll("[data-scanner]").forEach(function (root) {
    var scanner = new Scanner(root);
    scanner.prepareDecoders().then(function () { scanner.open(); });
  });
})();
