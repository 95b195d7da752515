// The sign-up form (/signup), progressively enhanced: the form works without this file.
// 1. The subdomain is checked as the owner types (GET /signup/availability, debounced) and
//    the answer is read out by the status line below the field.
// 2. Time zone, currency and locale are filled in from the browser's Intl settings while the
//    fields still hold the server's defaults.
(function () {
  var form = document.querySelector("form[data-availability]");
  if (!form) { return; }
  var subdomain = form.querySelector("#subdomain");
  var status = document.getElementById("subdomain-status");
  var timer = null;
  var asked = 0;
  function check() {
    var value = subdomain.value.trim();
    if (!value) { status.textContent = ""; return; }
    var mine = ++asked;
    fetch(form.dataset.availability + "?subdomain=" + encodeURIComponent(value), {
      headers: { "Accept": "application/json" }
    }).then(function (response) { return response.json(); }).then(function (answer) {
      if (mine !== asked) { return; }  // an older question answered late
      status.textContent = answer.message;
      status.className = answer.available ? "hint available" : "hint taken";
    }).catch(function () { status.textContent = ""; });
  }
  if (subdomain && status) {
    subdomain.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(check, 300);
    });
  }
  var defaults = { timezone: "UTC", currency: "USD", locale: "en_US" };
  var options = Intl.DateTimeFormat().resolvedOptions();
  var locale = (navigator.language || options.locale || "").replace("-", "_");
  var guessed = { timezone: options.timeZone, locale: locale };
  try {  // the currency of the browser's region, where Intl knows it
    var region = new Intl.Locale(navigator.language).maximize().region;
    var currencies = { US: "USD", GB: "GBP", DE: "EUR", FR: "EUR", IT: "EUR", ES: "EUR", NL: "EUR",
      AT: "EUR", BE: "EUR", IE: "EUR", PT: "EUR", FI: "EUR", CH: "CHF", CA: "CAD", AU: "AUD",
      JP: "JPY", SE: "SEK", NO: "NOK", DK: "DKK", PL: "PLN", NZ: "NZD", IN: "INR", BR: "BRL" };
    guessed.currency = currencies[region];
  } catch (error) { /* an old browser: the server's default stays */ }
  form.querySelectorAll("[data-intl]").forEach(function (input) {
    var key = input.dataset.intl;
    if (guessed[key] && input.value === defaults[key]) { input.value = guessed[key]; }
  });
})();
