import { defineEntity, p, type InferEntity } from '@mikro-orm/core';

/** The transactional outbox: one row per status change, written in the change's own transaction. */
export const EventSchema = defineEntity({
  name: 'Event',
  tableName: 'event',
  properties: {
    seq: p.bigint('number').primary().persist(false),
    id: p.string().unique(),
    merchantId: p.string(),
    livemode: p.boolean(),
    type: p.string(),
    paymentId: p.string().nullable(),
    data: p.json<Record<string, unknown>>(),
    /** For events whose object is not the payment (refunds): the payment after the change. */
    paymentSnapshot: p.json<Record<string, unknown>>().nullable(),
    createdAt: p.datetime(),
    publishedAt: p.datetime().nullable(),
    /** The W3C `traceparent` of the span that committed the event (null when tracing is off). */
    traceparent: p.string().nullable(),
    /** The relay that announced the event at commit (null: left to whichever relay claims it first). */
    announcedBy: p.string().nullable(),
  },
});
export type Event = InferEntity<typeof EventSchema>;
