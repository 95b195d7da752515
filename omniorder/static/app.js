// Every htmx request carries the CSRF token from the page's meta tag (flask-wtf reads
// X-CSRFToken), so htmx POSTs are protected like plain form posts.
document.addEventListener("htmx:configRequest", function (event) {
  var token = document.querySelector('meta[name="csrf-token"]');
  if (token) {
    event.detail.headers["X-CSRFToken"] = token.content;
  }
});
