// The week page's small behaviours; the page works without them (plain forms and <details>).
(function () {
  "use strict";

  // Busy state: a Sync/Preview click shows it is working and cannot be sent twice.
  document.querySelectorAll("form.busy-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      var button = form.querySelector("button[type=submit]");
      if (!button) return;
      form.setAttribute("aria-busy", "true");
      if (button.dataset.busy) {
        button.dataset.idle = button.textContent;
        button.textContent = button.dataset.busy;
      }
      // disabled after the submit has been taken, so the form still sends
      setTimeout(function () { button.disabled = true; }, 0);
    });
  });

  var events = Array.prototype.slice.call(document.querySelectorAll("details.ev"));

  // One pop-up at a time; Escape or a click outside closes it.
  events.forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (!d.open) return;
      events.forEach(function (other) { if (other !== d) other.open = false; });
    });
  });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var open = events.filter(function (d) { return d.open; });
    open.forEach(function (d) { d.open = false; });
    if (open.length) open[0].querySelector("summary").focus();
  });
  document.addEventListener("click", function (e) {
    events.forEach(function (d) { if (d.open && !d.contains(e.target)) d.open = false; });
  });

  // Arrow keys between blocks: left/right by day, up/down by time within a day.
  function byDay() {
    return Array.prototype.slice.call(document.querySelectorAll("section.day")).map(function (day) {
      return Array.prototype.slice.call(day.querySelectorAll("details.ev > summary"));
    }).filter(function (list) { return list.length; });
  }
  document.addEventListener("keydown", function (e) {
    var keys = ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown"];
    var here = document.activeElement;
    if (keys.indexOf(e.key) < 0 || !here || !here.matches("details.ev > summary")) return;
    var days = byDay();
    var d = days.findIndex(function (list) { return list.indexOf(here) >= 0; });
    if (d < 0) return;
    var i = days[d].indexOf(here);
    var target = null;
    if (e.key === "ArrowDown") target = days[d][i + 1];
    if (e.key === "ArrowUp") target = days[d][i - 1];
    if (e.key === "ArrowRight" && days[d + 1]) target = days[d + 1][Math.min(i, days[d + 1].length - 1)];
    if (e.key === "ArrowLeft" && days[d - 1]) target = days[d - 1][Math.min(i, days[d - 1].length - 1)];
    if (target) {
      e.preventDefault();
      target.focus();
    }
  });
})();
