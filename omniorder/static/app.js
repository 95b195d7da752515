// Every htmx request carries the CSRF token from the page's meta tag (flask-wtf reads
// X-CSRFToken), so htmx POSTs are protected like plain form posts.
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) {
    event.detail.headers["X-CSRFToken"] = token.content;
  }
});

// Kitchen board: flash and beep when a new order arrives (the board carries the newest
// order number it shows). The sound can be muted; the choice is kept on the tablet.
(function () {
  var newest = null;
  function muted() { return localStorage.getItem("omniorder-muted") === "1"; }
  function showSoundState() {
    var toggle = document.getElementById("sound-toggle");
    if (!toggle) { return; }
    toggle.textContent = muted() ? "Sound: off" : "Sound: on";
    toggle.setAttribute("aria-pressed", muted() ? "true" : "false");
  }
  function beep() {
    if (muted()) { return; }
    try {
      var audio = new (window.AudioContext || window.webkitAudioContext)();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.2;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.25);
    } catch (error) { /* no audio on this device */ }
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
  document.addEventListener("DOMContentLoaded", function () {
    var board = document.getElementById("board");
    if (board) { check(board); }
    showSoundState();
    var toggle = document.getElementById("sound-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        localStorage.setItem("omniorder-muted", muted() ? "0" : "1");
        showSoundState();
      });
    }
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var board = document.getElementById("board");
    if (board && (event.detail.target === board || event.detail.target.id === "board")) {
      check(board);
    }
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

// Receipt: a Print button (hidden without JavaScript, where the browser's own Print works).
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});
