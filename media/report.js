// The report panel's behaviour: buttons post messages to the extension,
// which does the work (copying, verifying, restoring, exporting). The page
// itself is drawn by the extension from the report model; nothing here
// builds markup from data.
(function () {
  const vscode = acquireVsCodeApi();

  // Kept by VS Code with the panel, so the serializer can bring it back after a reload.
  const body = document.body;
  vscode.setState({ folderUri: body.dataset.folderUri, setId: body.dataset.setId });

  // A link to a folded section opens it, then scrolls there.
  function openSection(hash) {
    const section = hash ? document.getElementById(hash.slice(1)) : null;
    const details = section ? section.querySelector(':scope > details') : null;
    if (details) details.open = true;
  }

  document.addEventListener('click', (event) => {
    const link = event.target instanceof Element ? event.target.closest('a[href^="#"]') : null;
    if (link) openSection(link.getAttribute('href'));
    const target = event.target instanceof Element ? event.target.closest('button') : null;
    if (!target) return;
    const copy = target.getAttribute('data-copy');
    if (copy !== null) {
      vscode.postMessage({ type: 'copy', text: copy });
      const label = target.textContent;
      target.textContent = 'Copied';
      setTimeout(() => {
        target.textContent = label;
      }, 1500);
      return;
    }
    const action = target.getAttribute('data-action');
    if (action) vscode.postMessage({ type: action });
  });
})();
