// The storefront on a phone (issue 28), loaded on the menu page only. Everything here
// enhances what works without it: the item's page becomes a sheet, the cart link opens the
// cart as a sheet, the category bar marks the section in view, search and allergen filters
// run in the page, and the pickup time is picked as a day, then a slot of that day.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 860px)");
  var opener = null;       // what opened the sheet that is open: focus goes back to it
  var cartHome = null;     // where #cart lives in the page while the cart sheet is closed

  function byId(id) { return document.getElementById(id); }

  // --- Sheets: <dialog>s opened with showModal (focus stays inside, Escape closes) ---------

  function openSheet(dialog, from) {
    opener = from || null;
    if (!dialog.open) { dialog.showModal(); }
  }

  function openItem(link) {
    var body = byId("item-sheet-body");
    return window.htmx.ajax("GET", link.getAttribute("href"), { target: body, swap: "innerHTML" })
      .then(function () {
        if (body.querySelector(".item-sheet")) { openSheet(byId("item-sheet"), link); }
        else { window.location.href = link.href; }
      }, function () { window.location.href = link.href; });
  }

  function openCart(from) {
    var cart = byId("cart");
    var dialog = byId("cart-sheet");
    if (!cart || !dialog) { return false; }
    if (!cartHome) {
      cartHome = document.createComment("cart");
      cart.parentNode.insertBefore(cartHome, cart);
    }
    dialog.appendChild(cart);
    openSheet(dialog, from);
    return true;
  }

  function sheetClosed(event) {
    var dialog = event.target;
    if (dialog.id === "cart-sheet" && cartHome) {
      var cart = byId("cart");  // htmx may have swapped it meanwhile: the one there now
      if (cart && dialog.contains(cart)) { cartHome.parentNode.insertBefore(cart, cartHome.nextSibling); }
    }
    if (dialog.id === "item-sheet") { byId("item-sheet-body").textContent = ""; }
    if (opener && document.contains(opener)) { opener.focus(); }
    opener = null;
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!target.closest) { return; }
    if (target.closest("[data-close-sheet]")) {
      target.closest("dialog").close();
      return;
    }
    if (target.matches("dialog.sheet")) {  // a tap on the backdrop, outside the sheet's content
      target.close();
      return;
    }
    var item = target.closest("a[data-item-sheet]");
    if (item && window.htmx && byId("item-sheet") && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      openItem(item);
      return;
    }
    var toCart = target.closest('a[href$="#cart"]');
    if (toCart && !wide.matches && !toCart.closest("#cart-sheet")) {
      if (openCart(toCart)) { event.preventDefault(); }
    }
  });

  // Added from the item sheet: the sheet closes (the cart bar has been updated out of band);
  // refused, it stays open with the reason.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.closest || !form.closest("#item-sheet") || !form.matches("form")) { return; }
    var status = event.detail.xhr.status;
    if (status === 200) {
      byId("item-sheet").close();
      return;
    }
    var shown = form.querySelector("[data-sheet-error]");
    var page = new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html");
    var reason = page.querySelector('.notice[role="alert"]');
    shown.textContent = reason ? reason.textContent : shown.getAttribute("data-fallback");
    shown.hidden = false;
  });

  // The sheet's button says what the line costs as options and quantity change.
  function showTotal(form) {
    var out = form.querySelector("[data-item-total]");
    if (!out) { return; }
    var total = parseInt(form.getAttribute("data-price"), 10);
    form.querySelectorAll("input[data-delta]:checked").forEach(function (input) {
      total += parseInt(input.getAttribute("data-delta"), 10) || 0;
    });
    var quantity = parseInt(form.querySelector('[name="quantity"]').value, 10);
    if (!(quantity >= 1 && quantity <= 99)) { quantity = 1; }
    try {
      var format = new Intl.NumberFormat(form.getAttribute("data-locale"),
        { style: "currency", currency: form.getAttribute("data-currency") });
      var digits = format.resolvedOptions().maximumFractionDigits;
      out.textContent = format.format(total * quantity / Math.pow(10, digits));
    } catch (error) { /* a locale this browser lacks: the price as the server wrote it */ }
  }
  ["change", "input"].forEach(function (kind) {
    document.addEventListener(kind, function (event) {
      var form = event.target.form;
      if (form && form.matches(".item-form")) { showTotal(form); }
    });
  });

  // --- Category bar: the section in view is marked (aria-current) and kept in view ------

  function initCategoryBar() {
    var bar = document.querySelector(".category-bar");
    if (!bar || !("IntersectionObserver" in window)) { return; }
    var links = {};
    bar.querySelectorAll("a").forEach(function (link) { links[link.hash.slice(1)] = link; });
    var sections = Array.prototype.slice.call(document.querySelectorAll("[data-menu-section]"));
    var chosen = null;  // the section a tap on the bar jumped to, until the customer scrolls

    function mark(id) {
      Object.keys(links).forEach(function (key) {
        if (key === id) { links[key].setAttribute("aria-current", "true"); }
        else { links[key].removeAttribute("aria-current"); }
      });
      var link = links[id];
      if (link) {  // the bar scrolls sideways only: the page stays where it is
        var left = link.offsetLeft - (bar.clientWidth - link.offsetWidth) / 2;
        bar.scrollLeft = Math.max(0, left);
      }
    }
    // The section in view: the last one (of those shown) whose top has reached the bar.
    function update() {
      if (chosen) { mark(chosen); return; }
      var line = bar.getBoundingClientRect().bottom + 8;
      var current = null;
      sections.forEach(function (section) {
        if (!section.hidden && (current === null || section.getBoundingClientRect().top <= line)) {
          current = section.id;
        }
      });
      if (current) { mark(current); }
    }
    var observer = new IntersectionObserver(update,
      { rootMargin: "-" + (bar.offsetHeight + 1) + "px 0px -55% 0px" });
    sections.forEach(function (section) { observer.observe(section); });
    bar.addEventListener("click", function (event) {
      var link = event.target.closest("a");
      if (link) { chosen = link.hash.slice(1); mark(chosen); }
    });
    ["wheel", "touchmove", "keydown"].forEach(function (kind) {
      window.addEventListener(kind, function (event) {
        if (chosen && !(kind === "keydown" && bar.contains(event.target))) {
          chosen = null;
          window.requestAnimationFrame(update);
        }
      }, { passive: true });
    });
  }

  // --- Search and allergen-free filters, in the page --------------------------------------

  function initFilters() {
    var tools = document.querySelector("[data-menu-tools]");
    if (!tools) { return; }
    var search = byId("menu-search");
    var count = tools.querySelector("[data-match-count]");
    var plurals = new Intl.PluralRules(document.documentElement.lang || "en");
    var sections = document.querySelectorAll("[data-menu-section]");
    function apply() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var without = Array.prototype.map.call(
        tools.querySelectorAll("[data-without]:checked"), function (box) { return box.value; });
      var matching = 0;
      sections.forEach(function (section) {
        var any = false;
        section.querySelectorAll(".item").forEach(function (row) {
          var text = row.getAttribute("data-search") || "";
          var allergens = (row.getAttribute("data-allergens") || "").split(" ");
          var shown = words.every(function (word) { return text.indexOf(word) !== -1; }) &&
            without.every(function (name) { return allergens.indexOf(name) === -1; });
          row.hidden = !shown;
          if (shown) { any = true; matching += 1; }
        });
        section.hidden = !any;
        var link = document.querySelector('.category-bar a[href="#' + section.id + '"]');
        if (link) { link.parentNode.hidden = !any; }
      });
      if (!words.length && !without.length) { count.textContent = ""; }
      else if (matching === 0) { count.textContent = count.getAttribute("data-none"); }
      else {
        var forms = JSON.parse(count.getAttribute("data-counts"));
        var sentence = forms[plurals.select(matching)] || forms.other;
        count.textContent = sentence.replace("{count}", String(matching));
      }
    }
    search.addEventListener("input", apply);
    tools.addEventListener("change", apply);
    // Filtered as typed: sending the form (the keyboard's Search key) only closes the keyboard.
    tools.addEventListener("submit", function (event) {
      event.preventDefault();
      apply();
      search.blur();
    });
  }

  // --- Pickup time: a day, then that day's slots ----------------------------------------

  function initPickup(root) {
    root.querySelectorAll("[data-pickup]").forEach(function (fieldset) {
      var days = fieldset.querySelector("[data-pickup-days]");
      if (!days || fieldset.classList.contains("has-day-picker")) { return; }
      fieldset.classList.add("has-day-picker");
      days.hidden = false;
      function showDay() {
        var chosen = days.querySelector("input:checked");
        fieldset.querySelectorAll(".pickup-day").forEach(function (day) {
          day.hidden = !chosen || day.getAttribute("data-day") !== chosen.value;
        });
      }
      // What is sent is always what is shown: a slot of a day no longer shown gives way to
      // as soon as possible, else to the first slot of the day now shown.
      days.addEventListener("change", function () {
        showDay();
        var checked = fieldset.querySelector('input[name="pickup_at"]:checked');
        if (checked && !checked.closest(".pickup-day[hidden]")) { return; }
        var fallback = fieldset.querySelector('input[name="pickup_at"][value=""]') ||
          fieldset.querySelector('.pickup-day:not([hidden]) input[name="pickup_at"]');
        if (fallback) { fallback.checked = true; }
      });
      showDay();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("dialog.sheet").forEach(function (dialog) {
      dialog.addEventListener("close", sheetClosed);
    });
    initCategoryBar();
    initFilters();
    initPickup(document);
    var cart = byId("cart");
    if (cart && cart.hasAttribute("data-open-sheet") && !wide.matches) { openCart(null); }
  });
  // The cart panel is swapped in anew after every change: its pickup picker too.
  document.addEventListener("htmx:load", function (event) { initPickup(event.detail.elt); });
})();
