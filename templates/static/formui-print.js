// The print link of a printable page: print at once (without script the link opens the print view).
document.querySelectorAll("[data-print]").forEach(function (a) {
  a.addEventListener("click", function (e) {
    e.preventDefault();
    window.print();
  });
});
