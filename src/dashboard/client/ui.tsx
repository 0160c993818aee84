/** Small shared pieces of the screens: notices, the confirmation dialog, once-shown secrets. */
import type { CombinedError } from '@urql/core';
import { Fragment, type ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { errorCode } from './graphql.js';
import { t } from './i18n.js';
import type { UserError } from './operations.js';

export function Loading() {
  return (
    <p class="muted" role="status">
      {t('common.loading')}
    </p>
  );
}

/** A failed operation: the role's refusal in words, any other error with its message. */
export function ErrorNote({ error }: { error: CombinedError | undefined | null }) {
  if (!error) return null;
  const code = errorCode(error);
  const message =
    code === 'FORBIDDEN'
      ? t('common.forbidden')
      : t('common.error', { message: error.graphQLErrors[0]?.message ?? error.message });
  return (
    <p class="notice error" role="alert">
      {message}
    </p>
  );
}

export function UserErrors({ errors }: { errors: UserError[] | undefined | null }) {
  if (!errors?.length) return null;
  return (
    <div class="notice error" role="alert">
      {errors.map((e) => (
        <p key={e.code + e.message}>{e.message}</p>
      ))}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p class="notice" role="status">
      {children}
    </p>
  );
}

/** A secret (key, signing secret, invitation link) shown once, selectable for copying. */
export function SecretOnce({ label, value, onClose }: { label: string; value: string; onClose: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => {
    ref.current?.focus();
    ref.current?.select();
  }, [value]);
  return (
    <div class="secret" role="region" aria-label={label}>
      <label>
        {label}
        <input ref={ref} readOnly value={value} data-testid="secret-value" />
      </label>
      <p class="muted">{t('common.shownOnce')}</p>
      <button type="button" onClick={onClose}>
        {t('common.close')}
      </button>
    </div>
  );
}

/**
 * A modal confirmation (the native `<dialog>`: focus moves into it, Escape cancels, and it returns
 * focus when closed).
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  danger,
  busy,
  onConfirm,
  onCancel,
}: {
  open: boolean;
  title: string;
  children?: ComponentChildren;
  confirmLabel: string;
  danger?: boolean;
  busy?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby="confirm-title"
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          onConfirm();
        }}
      >
        <h2 id="confirm-title">{title}</h2>
        {children}
        <div class="row end">
          <button type="button" onClick={onCancel}>
            {t('common.cancel')}
          </button>
          <button type="submit" class={danger ? 'danger' : 'primary'} disabled={busy}>
            {confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}

/** An event type or audit action (`payment.succeeded`): on a narrow screen it breaks after a dot, never mid-word. */
export function Dotted({ text }: { text: string }) {
  const parts = text.split('.');
  return (
    <code class="dotted">
      {parts.map((part, i) => (
        <Fragment key={i}>
          {part}
          {i < parts.length - 1 && (
            <>
              .<wbr />
            </>
          )}
        </Fragment>
      ))}
    </code>
  );
}

export function StatusBadge({ status, label }: { status: string; label: string }) {
  return <span class={`badge badge-${status.toLowerCase()}`}>{label}</span>;
}
