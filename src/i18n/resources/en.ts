/**
 * The hosted page's English text: the source every other language translates, key for key.
 * `{{name}}` marks a value filled in when the text is shown.
 */
const en = {
  'page.title': 'Pay {{merchant}}',
  'page.testMode': 'Test mode',
  'page.securedBy': 'Secured by Till',
  'page.noscript': 'This checkout needs JavaScript to protect your card details.',
  'form.cardNumber': 'Card number',
  'form.expiry': 'Expiry date (MM/YY)',
  'form.expiryPlaceholder': 'MM/YY',
  'form.cvc': 'Security code',
  'form.cvcPlaceholder': 'CVC',
  'form.name': 'Name on card',
  'form.pay': 'Pay {{amount}}',
  'form.cancel': 'Cancel and return to {{merchant}}',
  'state.paid.title': 'Payment complete',
  'state.failed.title': 'Payment declined',
  'state.canceled.title': 'Payment canceled',
  'state.expired.title': 'Payment link expired',
  'state.unavailable.title': 'Payment unavailable',
  'state.processing.title': 'Payment processing',
  'state.requires_action.title': 'Authentication required',
  'state.other.title': 'Payment',
  'state.paid.message': 'This payment has already been completed. Thank you.',
  'state.failed.message': 'The payment was declined.',
  'state.canceled.message': 'This payment was canceled.',
  'state.expired.message': 'This payment link has expired. Please return to the merchant to try again.',
  'state.unavailable.message': 'This payment is currently unavailable. Please contact the merchant.',
  'state.processing.message': 'Your payment is being processed.',
  'state.continueAuthentication': 'Continue to authentication',
  'state.returnToMerchant': 'Return to the merchant',
  'notFound.title': 'Payment not found',
  'notFound.message': 'This payment link is not valid. Please return to the merchant and try again.',
  'challenge.versioning': 'Checking 3-D Secure version…',
  'challenge.fingerprint': 'Identifying your device…',
  'challenge.confirm': 'Confirm this payment',
  'challenge.continue': 'Continue',
  'challenge.body':
    'Your bank asks you to confirm a payment of {{amount}} to {{merchant}} with the card ending in {{last4}}.',
  'challenge.sandbox': "Sandbox: choose the cardholder's answer",
  'challenge.approve': 'Approve',
  'challenge.fail': 'Fail authentication',
  'action.title': 'Authentication',
  'action.body': 'Your bank asks you to confirm this payment.',
  'action.continue': 'Continue to your bank',
  'status.fixFields': 'Please correct the highlighted fields.',
  'status.processing': 'Processing your payment…',
  'status.submitFailed': 'The payment could not be submitted. Please try again.',
  'status.rateLimited': 'Too many attempts. Please wait a moment and try again.',
  'status.network': 'Network error. Check your connection and try again.',
  'status.canceling': 'Canceling…',
  'card.number.missing': 'Enter the card number.',
  'card.number.invalid': 'This card number is not valid.',
  'card.expiry.format': 'Enter the expiry date as MM/YY.',
  'card.expiry.expired': 'This card has expired.',
  'card.expiry.year': 'Enter a valid expiry year.',
  'card.cvc.invalid': 'Enter the {{length}}-digit security code.',
  'card.name.missing': 'Enter the name on the card.',
  'card.name.tooLong': 'The name is too long.',
};

export type MessageKey = keyof typeof en;
/** One language's text: every key of English, no other. */
export type Messages = Record<MessageKey, string>;

export default en satisfies Messages;
