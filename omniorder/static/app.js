// Every htmx request carries the CSRF token from the page's meta tag (flask-wtf reads
// X-CSRFToken), so htmx POSTs are protected like plain form posts.
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) {
    event.detail.headers["X-CSRFToken"] = token.content;
  }
});

// Kitchen board: flash and beep when a new order arrives (the board carries the newest
// order number it shows). Browsers block audio until the page gets a tap, so the toggle says
// "Tap to enable sound" until then, "Sound: on" once audio runs, "Sound: off" when muted;
// aria-pressed follows (pressed = sound on). Muting is kept on the tablet.
(function () {
  var newest = null;
  var audio = null;
  var AudioContextClass = window.AudioContext || window.webkitAudioContext;
  function muted() { return localStorage.getItem("omniorder-muted") === "1"; }
  function running() { return audio !== null && audio.state === "running"; }
  function showSoundState() {
    var toggle = document.getElementById("sound-toggle");
    if (!toggle) { return; }
    var on = !muted() && running();
    toggle.textContent = muted() ? "Sound: off" : (on ? "Sound: on" : "Tap to enable sound");
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
  }
  function unlock() {
    if (!AudioContextClass) { return; }
    try {
      audio = audio || new AudioContextClass();
      audio.resume().then(showSoundState, showSoundState);
    } catch (error) { /* no audio on this device */ }
    showSoundState();
  }
  function beep() {
    if (muted() || !running()) { return; }
    var tone = audio.createOscillator();
    var gain = audio.createGain();
    tone.frequency.value = 880;
    gain.gain.value = 0.2;
    tone.connect(gain);
    gain.connect(audio.destination);
    tone.start();
    tone.stop(audio.currentTime + 0.25);
  }
  function check(board) {
    var shown = parseInt(board.getAttribute("data-newest") || "0", 10);
    if (newest !== null && shown > newest) {
      board.querySelectorAll(".card").forEach(function (card) {
        if (parseInt(card.getAttribute("data-number"), 10) > newest) { card.classList.add("new"); }
      });
      board.classList.add("flash");
      beep();
    }
    newest = shown;
  }
  function tappedElsewhere(event) {
    // Any tap on the board is a user gesture: audio may start now. The toggle does its own.
    if (event.target.closest && event.target.closest("#sound-toggle")) { return; }
    if (!muted() && !running()) { unlock(); }
  }
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("board");
    if (board) { check(board); }
    var toggle = document.getElementById("sound-toggle");
    if (!toggle) { return; }
    if (AudioContextClass && !muted() &&
        (!navigator.userActivation || navigator.userActivation.hasBeenActive)) {
      unlock();  // allowed without a tap on some kiosks; "suspended" (blocked) elsewhere
    }
    showSoundState();
    toggle.addEventListener("click", function () {
      if (muted()) {
        localStorage.setItem("omniorder-muted", "0");
        unlock();
      } else if (!running()) {
        unlock();
      } else {
        localStorage.setItem("omniorder-muted", "1");
      }
      showSoundState();
    });
    document.addEventListener("pointerdown", tappedElsewhere, true);
    document.addEventListener("keydown", tappedElsewhere, true);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var board = document.getElementById("board");
    if (board && (event.detail.target === board || event.detail.target.id === "board")) {
      check(board);
    }
  });
})();

// Kitchen board: the Undo strip after a tap goes away after its seconds; a <details> marked
// data-remember (the all-day counts) stays open or closed across the board's refreshes; the
// pause menu closes once its choice is sent.
(function () {
  function remembered(details) { return localStorage.getItem("omniorder-open-" + details.id); }
  document.addEventListener("htmx:load", function (event) {
    var root = event.detail.elt;
    root.querySelectorAll("[data-undo-seconds]").forEach(function (strip) {
      var seconds = parseInt(strip.getAttribute("data-undo-seconds"), 10) || 10;
      setTimeout(function () { strip.remove(); }, seconds * 1000);
    });
    root.querySelectorAll("details[data-remember]").forEach(function (details) {
      details.open = remembered(details) === "1";
    });
  });
  document.addEventListener("toggle", function (event) {
    var details = event.target;
    if (details.matches && details.matches("details[data-remember]")) {
      localStorage.setItem("omniorder-open-" + details.id, details.open ? "1" : "0");
    }
  }, true);
  document.addEventListener("htmx:afterRequest", function (event) {
    var menu = event.detail.elt.closest && event.detail.elt.closest(".pause-control");
    if (menu) { menu.open = false; }
  });
})();

// Kitchen board offline: the poll has a deadline; a request that fails, times out or meets a
// server error (the database's outage is a 503) shows "Offline — last update N s ago" until the
// server answers again, and while offline a tap (any htmx post on the board's page) is refused
// with a visible message instead of being lost. Refused, not queued: the board shown may be
// stale, so the cook looks again before tapping.
(function () {
  var POLL_DEADLINE_MS = 2500;  // every 2 s + this: offline shown within 5 s of losing the server
  var lastAnswer = Date.now();
  var offline = false;
  var ticker = null;
  function banner() { return document.getElementById("offline-banner"); }
  function refusal() { return banner().querySelector("[data-offline-refused]"); }
  function showAge() {
    var seconds = Math.max(0, Math.round((Date.now() - lastAnswer) / 1000));
    banner().querySelector("[data-offline-seconds]").textContent = seconds;
  }
  function goOffline() {
    if (offline) { return; }
    offline = true;
    showAge();
    banner().hidden = false;
    ticker = setInterval(showAge, 1000);
  }
  function goOnline() {
    lastAnswer = Date.now();
    if (!offline) { return; }
    offline = false;
    clearInterval(ticker);
    banner().hidden = true;
    refusal().hidden = true;
  }
  function refuse() {
    var note = refusal();
    note.hidden = false;
    note.textContent = note.textContent;  // announced again by the alert on every refused tap
  }
  document.addEventListener("htmx:configRequest", function (event) {
    if (banner() && event.detail.elt.id === "board" && event.detail.verb === "get") {
      event.detail.timeout = POLL_DEADLINE_MS;
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (banner() && offline && event.detail.requestConfig.verb !== "get") {
      event.preventDefault();
      refuse();
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (!banner()) { return; }
    var status = event.detail.xhr.status;  // 0: no answer (offline, refused, timed out)
    if (status > 0 && status < 500) {
      goOnline();
      return;
    }
    goOffline();
    if (event.detail.requestConfig.verb !== "get") { refuse(); }
  });
})();

// Theme preview: its colours arrive as data attributes and are applied through the CSSOM,
// which the Content-Security-Policy allows (inline style attributes it does not).
(function () {
  var names = ["primary", "on-primary", "bg", "surface", "text", "muted", "font"];
  function apply(root) {
    (root || document).querySelectorAll("[data-theme-vars]").forEach(function (element) {
      names.forEach(function (name) {
        var value = element.getAttribute("data-" + name);
        if (value) { element.style.setProperty("--" + name, value); }
      });
    });
  }
  // htmx:load fires for the page and for every piece of content htmx swaps in.
  document.addEventListener("htmx:load", function () { apply(document); });
})();

// Storefront tip: typing an amount in "Other amount" picks "Other amount", so the amount is
// not thrown away (the server reads a typed amount the same way without JavaScript,
// services/cart.tip_from_form); htmx sends the form when the field changes.
document.addEventListener("input", function (event) {
  var field = event.target;
  if (field.name !== "tip_amount" || !field.form || field.value.trim() === "") { return; }
  var other = field.form.querySelector('input[name="tip"][value="custom"]');
  if (other) { other.checked = true; }
});

// Receipt: a Print button (hidden without JavaScript, where the browser's own Print works).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});

// Settings, opening hours: "Copy Monday to all weekdays" copies Monday's row (times and the
// "Closed" box) to Tuesday–Friday at once. Without JavaScript the button posts the page and
// the server does the same (admin/restaurant/settings_hours.py, copy_monday); either way
// nothing is saved until "Save settings".
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-copy-monday]") : null;
  if (!button || !button.form) { return; }
  event.preventDefault();
  var form = button.form;
  ["tue", "wed", "thu", "fri"].forEach(function (day) {
    form.querySelectorAll('input[id^="hours-mon_"]').forEach(function (source) {
      var target = document.getElementById(source.id.replace("hours-mon_", "hours-" + day + "_"));
      if (!target) { return; }
      if (source.type === "checkbox") { target.checked = source.checked; } else { target.value = source.value; }
    });
  });
  var notice = document.getElementById("hours-notice");
  if (notice) { notice.textContent = "Monday's hours were copied to Tuesday–Friday. Save the settings to keep them."; }
});

// Settings, opening hours: a range's "Remove" empties its two times at once (an empty pair is
// no range); without JavaScript the button posts the page and the server does the same.
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("[data-remove-range]") : null;
  if (!button) { return; }
  event.preventDefault();
  var prefix = button.getAttribute("data-remove-range");
  ["opens", "closes"].forEach(function (end) {
    var input = document.getElementById(prefix + end);
    if (input) { input.value = ""; }
  });
  var notice = document.getElementById("hours-notice");
  if (notice) { notice.textContent = "The range was removed. Save the settings to keep it."; }
  var previous = document.getElementById(prefix + "opens");
  if (previous) { previous.focus(); }
  button.remove();
});
