// The show-once key page.
//
// Copy buttons: <button data-copy="#element"> copies that element's text to the clipboard.
document.querySelectorAll("[data-copy]").forEach((button) => {
  button.addEventListener("click", async () => {
    const source = document.querySelector(button.dataset.copy);
    const status = document.querySelector(".copy-status");
    try {
      await navigator.clipboard.writeText(source.textContent.trim());
      button.textContent = "Copied";
      if (status) status.textContent = "Copied to the clipboard.";
    } catch (error) {
      // No clipboard access (insecure origin, denied permission): select the text instead.
      const range = document.createRange();
      range.selectNodeContents(source);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      if (status) status.textContent = "Press Ctrl+C (⌘C) to copy the selected key.";
    }
  });
});

// This page is the answer to a POST. Point the history entry at the token list, so that a
// reload shows the list instead of offering to submit the form again.
const replaceTarget = document.querySelector("[data-replace-url]");
if (replaceTarget) {
  window.history.replaceState(null, "", replaceTarget.dataset.replaceUrl);
}
