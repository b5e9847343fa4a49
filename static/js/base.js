// Submit a <select data-autosubmit> as soon as it changes (the account switcher).
document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
  select.addEventListener("change", () => select.form.submit());
});
