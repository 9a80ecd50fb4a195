// The copy buttons of the oversold HTML report. No network, no dependencies.
(() => {
  const selectText = (element) => {
    const range = document.createRange();
    range.selectNodeContents(element);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  };
  // Without the asynchronous clipboard (some browsers refuse it on file:// pages)
  // fall back to selecting the command and the older copy command.
  const copyBySelection = (element) => {
    selectText(element);
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  };
  for (const button of document.querySelectorAll('button[data-copy-target]')) {
    button.addEventListener('click', async () => {
      const target = document.getElementById(button.dataset.copyTarget);
      const status = button.parentElement.querySelector('.copy-status');
      if (!target) return;
      const text = target.textContent;
      let copied = false;
      try {
        await navigator.clipboard.writeText(text);
        copied = true;
      } catch {
        copied = copyBySelection(target);
      }
      if (status) status.textContent = copied ? 'Copied to the clipboard' : 'Selected: press Ctrl+C to copy';
    });
  }
})();
