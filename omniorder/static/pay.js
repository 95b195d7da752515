// The order page's card payment (storefront/order.html), with Stripe.js loaded before it.
//
// The card is typed into Stripe's own field and sent by Stripe.js to Stripe, which answers a
// PaymentMethod; only its id comes to our server (POST data-pay-url), which confirms the
// payment with the restaurant's Stripe account. When the bank asks for 3-D Secure, the server
// answers the PaymentIntent's client secret; Stripe.js runs the check (confirmCardPayment with
// no second argument: the card is already attached) and the page asks the server how it went
// (POST data-refresh-url): the browser's own result is never taken as the answer. Paid: the
// page reloads and shows the order on its way to the kitchen. Declined: the bank's words, and
// the customer tries again or with another card.
(function () {
  "use strict";
  var section = document.getElementById("payment");
  if (!section) { return; }
  // The page's words, in its language (storefront/order.html renders them).
  function words(name) { return section.getAttribute("data-" + name); }
  var form = document.getElementById("payment-form");
  var message = document.getElementById("payment-message");
  var button = form.querySelector("button[type=submit]");
  var paying = false;

  function say(text) {
    message.textContent = text;
    message.hidden = !text;
  }
  function failed(reason) {
    say(words("failed").replace("{reason}", reason));
    paying = false;
    button.disabled = false;
    button.removeAttribute("aria-busy");
  }
  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }
  // Our server's JSON answer (status and body), whatever the status.
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": csrfToken()
      },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        return {status: response.status, answer: answer};
      });
    });
  }

  if (typeof Stripe !== "function") {
    say(words("no-card-field"));
    return;
  }
  var stripe = Stripe(section.getAttribute("data-publishable-key"));
  var card = stripe.elements().create("card");
  form.hidden = false;
  card.mount("#card-element");

  async function pay() {
    var made = await stripe.createPaymentMethod({type: "card", card: card});
    if (!made || made.error || !made.paymentMethod) {
      failed((made && made.error && made.error.message) || words("check-card"));
      return;
    }
    var result = await post(section.getAttribute("data-pay-url"),
                            {payment_method: made.paymentMethod.id});
    if (result.status === 200 && result.answer.status === "requires_action") {
      await stripe.confirmCardPayment(result.answer.client_secret);
      result = await post(section.getAttribute("data-refresh-url"));
      if (result.status === 200 && result.answer.payment_status === "requires_payment") {
        failed(result.answer.payment_error || words("check-incomplete"));
        return;
      }
    }
    if (result.status === 200) {
      window.location.reload();
      return;
    }
    failed(result.answer.error || words("no-answer"));
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (paying) { return; }
    paying = true;
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    say("");
    pay().catch(function () { failed(words("not-sent")); });
  });

  // The tracking status is polled: once the order no longer awaits its payment (paid meanwhile
  // through another way, or cancelled when its time ran out), the card field goes.
  document.addEventListener("htmx:load", function () {
    var status = document.getElementById("order-status");
    if (!paying && status && status.getAttribute("data-awaiting") === "false") {
      section.hidden = true;
    }
  });
})();
