# Seed 000's sample cURL request, verbatim. The test substitutes the host and sets $ACCESS_TOKEN.
curl -X POST https://api.example.com/api/hosted-payment-page \
-H "Authorization: Bearer $ACCESS_TOKEN" \
-H "Content-Type: application/json" \
-d '{
"reference": "ORDER-123456",
"terminal_id": "TERM001",
"currency": "EUR",
"amount": 100,
"transaction_type": "PURCHASE",
"success_url": "https://merchant.example.com/success-url",
"cancel_url": "https://merchant.example.com/cancel-url",
"error_url": "https://merchant.example.com/error-url",
"tokenization": {
"save_card_for_future_payments": true
}
}'
