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
// "Tap to enable sound" until then, "Sound: on" once audio runs, "Sound: off" when muted (in
// the page's language: its data-label-blocked, -on and -off); aria-pressed follows (pressed =
// sound on). Muting is kept on the tablet.
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
    var label = muted() ? "off" : (on ? "on" : "blocked");
    toggle.textContent = toggle.getAttribute("data-label-" + label);
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

// Kitchen keys (a bump bar sends keys as a keyboard): digits select the nth ticket of the
// column in focus, the arrows move, bump advances the selected ticket through the board's own
// buttons, recall brings back the last bumped one, undo presses the Undo strip's button (gone
// after its 10 s), sold out opens the drawer, help shows the overlay. The key map is the
// restaurant's kitchen_keys setting (the JSON in #kitchen-keys). The selection is kept by
// order id, so it outlives the poll's swaps; a ticket that left its column hands the selection
// to the ticket now at its place.
(function () {
  var keys = null;
  var selected = null;  // order id
  var column = 0;       // the column in focus
  var position = 0;     // the selected ticket's place in it, for when it leaves
  var lastBumped = null;  // this station tablet's last bump: {order, station}
  function board() { return document.getElementById("board"); }
  function columns() { return Array.prototype.slice.call(board().querySelectorAll(".column")); }
  function cards(index) {
    var shown = columns()[index];
    return shown ? Array.prototype.slice.call(shown.querySelectorAll(".card[data-order]")) : [];
  }
  function show() {
    if (!board()) { return; }
    columns().forEach(function (element, index) { element.classList.toggle("key-focus", index === column); });
    board().querySelectorAll(".card.selected").forEach(function (card) {
      card.classList.remove("selected");
      card.removeAttribute("aria-current");
    });
    var list = cards(column);
    var card = list.filter(function (each) { return each.getAttribute("data-order") === selected; })[0];
    if (!card && selected !== null && list.length) { card = list[Math.min(position, list.length - 1)]; }
    if (!card) { selected = null; return; }
    selected = card.getAttribute("data-order");
    position = list.indexOf(card);
    card.classList.add("selected");
    card.setAttribute("aria-current", "true");
    card.scrollIntoView({block: "nearest"});
  }
  function select(index, place) {
    var list = cards(index);
    column = index;
    if (place < 0 || place >= list.length) { show(); return; }
    selected = list[place].getAttribute("data-order");
    position = place;
    show();
  }
  function selectedCard() {
    return selected && board().querySelector('.card[data-order="' + selected + '"]');
  }
  function post(url, values) {
    htmx.ajax("POST", url, {target: "#board", swap: "outerHTML", values: values});
  }
  function submit(form) {
    // Sent as the form's own htmx post would be, whether or not htmx has processed a form
    // that was swapped in a moment ago (the Undo strip's).
    var values = {};
    new FormData(form).forEach(function (value, name) { values[name] = value; });
    post(form.getAttribute("action"), values);
  }
  function bump() {
    var card = selectedCard();
    if (!card) { return; }
    var button = card.querySelector("button.card-button") ||
      card.querySelector('.done-actions button[type="submit"]');
    var station = board().getAttribute("data-station");
    if (station && card.querySelector("button.card-button")) {
      lastBumped = {order: selected, station: station};
    }
    if (button) { submit(button.form); }
  }
  function recall() {
    var station = board().getAttribute("data-station");
    if (station) {
      if (!lastBumped || lastBumped.station !== station) { return; }
      var pattern = document.getElementById("kitchen-keys").getAttribute("data-lines-undone");
      post(pattern.replace("00000000-0000-0000-0000-000000000000", lastBumped.order), {station: station});
      lastBumped = null;
      return;
    }
    post(board().getAttribute("data-recall-last"), {station: ""});
  }
  function undo() {
    var form = board().querySelector(".undo-strip form");
    if (form) { submit(form); }
  }
  function soldOut() {
    var drawer = document.getElementById("menu-drawer");
    if (!drawer) { return; }
    drawer.open = true;
    var first = drawer.querySelector(".menu-panel button");
    if (first) { first.focus(); }
  }
  function help() {
    var dialog = document.getElementById("keys-dialog");
    if (dialog && !dialog.open) { dialog.showModal(); }
  }
  function typing(target) {
    // Keys typed into a field (a cancel reason), or pressed in an open dialog or drawer, are
    // theirs; on the board's own buttons they are the board's. Only an open one: right after
    // the keys overlay closes, Chromium may still report focus inside it for a moment.
    if (!target || !target.closest) { return false; }
    return Boolean(target.closest("input, textarea, select, dialog[open], .menu-drawer[open], .card-cancel[open]"));
  }
  function actionOf(event) {
    var key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    for (var action in keys) {
      if (keys[action] === key) { return action; }
    }
    return null;
  }
  document.addEventListener("keydown", function (event) {
    var drawer = event.key === "Escape" && board() && document.querySelector(".menu-drawer[open]");
    if (drawer) {  // Escape closes Sold out… (or another drawer): the keys are the board's again
      drawer.open = false;
      drawer.querySelector("summary").focus();
      return;
    }
    if (!keys || !board() || event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var control = event.target.closest && event.target.closest("button, a, summary");
    if (control && !control.closest("#board") && (event.key === "Enter" || event.key === " ")) {
      return;  // a header control (a drawer, Keys, Log out) pressed from the keyboard is itself
    }
    var action = actionOf(event);
    var digit = "123456789".indexOf(event.key);
    if (digit >= 0 && event.key.length === 1) {
      select(column, digit);
    } else if (action === "next_ticket") {
      select(column, selected === null ? 0 : position + 1);
    } else if (action === "previous_ticket") {
      select(column, Math.max(0, position - 1));
    } else if (action === "next_column" || action === "previous_column") {
      var next = column + (action === "next_column" ? 1 : -1);
      if (next < 0 || next >= columns().length) { return; }
      select(next, Math.min(position, Math.max(0, cards(next).length - 1)));
    } else if (action === "bump") {
      bump();
    } else if (action === "recall") {
      recall();
    } else if (action === "undo") {
      undo();
    } else if (action === "sold_out") {
      soldOut();
    } else if (action === "help") {
      help();
    } else {
      return;
    }
    event.preventDefault();
  });
  document.addEventListener("DOMContentLoaded", function () {
    var map = document.getElementById("kitchen-keys");
    if (!map) { return; }
    keys = JSON.parse(map.textContent);
    var opener = document.getElementById("keys-open");
    if (opener) { opener.addEventListener("click", help); }
    show();
  });
  document.addEventListener("htmx:afterSwap", function () { if (keys && board()) { show(); } });
  document.addEventListener("click", function (event) {
    // A tap on a ticket selects it too, so keys and fingers share one selection.
    var card = event.target.closest && event.target.closest("#board .card[data-order]");
    if (!card || !keys) { return; }
    var index = columns().indexOf(card.closest(".column"));
    select(index, cards(index).indexOf(card));
  }, true);
})();

// Pickup screen: a two-note chime when a number joins "Ready for pickup", while the "Sound on"
// toggle is pressed (browsers start audio only after a gesture).
(function () {
  var audio = null;
  var ready = null;
  function numbers(columns) {
    return (columns.getAttribute("data-ready") || "").split(" ").filter(Boolean);
  }
  function chime() {
    if (!audio || audio.state !== "running") { return; }
    [660, 880].forEach(function (frequency, index) {
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      var start = audio.currentTime + index * 0.3;
      tone.frequency.value = frequency;
      gain.gain.value = 0.25;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(start);
      tone.stop(start + 0.28);
    });
  }
  function check() {
    var columns = document.getElementById("pickup-columns");
    if (!columns) { return; }
    var shown = numbers(columns);
    if (ready !== null && shown.some(function (number) { return ready.indexOf(number) < 0; })) {
      columns.setAttribute("data-chimed", String(Date.now()));
      chime();
    }
    ready = shown;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.getElementById("chime-toggle");
    if (!toggle) { return; }
    check();
    toggle.addEventListener("click", function () {
      var on = toggle.getAttribute("aria-pressed") !== "true";
      var AudioContextClass = window.AudioContext || window.webkitAudioContext;
      if (on && AudioContextClass) {
        audio = audio || new AudioContextClass();
        audio.resume();
      } else if (audio) {
        audio.suspend();
      }
      toggle.setAttribute("aria-pressed", on ? "true" : "false");  // "Sound on", pressed or not
    });
  });
  document.addEventListener("htmx:afterSwap", check);
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
// nothing is saved until "Save settings". The notice's words are the page's (#hours-notice's
// data-copied).
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
  if (notice) { notice.textContent = notice.getAttribute("data-copied"); }
});

// Settings, opening hours: a range's "Remove" empties its two times at once (an empty pair is
// no range); without JavaScript the button posts the page and the server does the same. The
// notice's words are the page's (#hours-notice's data-removed).
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
  if (notice) { notice.textContent = notice.getAttribute("data-removed"); }
  var previous = document.getElementById(prefix + "opens");
  if (previous) { previous.focus(); }
  button.remove();
});
