/** The dashboard's entry: UI language first (so the first paint is translated), then the app. */
import { render } from 'preact';
import { App } from './app.js';
import { initI18n } from './i18n.js';
import './styles.css';

const root = document.getElementById('app');
if (root) {
  const language = await initI18n();
  render(<App initialLanguage={language} />, root);
}
