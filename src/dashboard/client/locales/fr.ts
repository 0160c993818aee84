import type { Messages } from './en.js';
import en from './en.js';

const messages: Messages = en;
export default messages;
