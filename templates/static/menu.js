// Wide screens show the menu as a side column: open it there, so it reads as open too.
(function () {
  var m = document.getElementById("menu");
  if (m && window.matchMedia("(min-width: 1000px)").matches) { m.open = true; }
})();
