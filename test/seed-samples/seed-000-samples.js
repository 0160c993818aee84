// Seed 000's JavaScript samples, verbatim (only the page's step caption between them removed).
// test/rest/api-dialect.test.ts runs them against a listening Till with loadJsonFile and the host supplied.
function createToken() {
return loadJsonFile('[path]/secret.json')
.then((secretData) => {
return fetch(
'/api/oauth2/login/token',
{
method: 'POST',
headers: {
'Content-Type': 'application/json',
'Accept': 'application/json',
},
body: JSON.stringify({
username: secretData.username,
password: secretData.password
})
}
).then(response => {
if (!response.ok) {
throw new Error(`Network response was not ok: ${response.status}`);
}
return response.json();
})
})
}
function createSession(data) { // data -> result from token endpoint
const randomString = `date-${new Date().getTime()}`;
return loadJsonFile('[path]/secret.json')
.then((secretData) => {
return fetch(
'/api/sessions',
{
method: 'POST',
headers: {
'Content-Type': 'application/json',
'Accept': 'application/json',
'x-api-key': secretData.xApiKey,
'Authorization': `Bearer ${data?.access_token}`
},
body: JSON.stringify({
"terminal_id": "DEV02",
"reference": randomString,
"description": "f2aed380-b8bb-481f-92be-3060cc1ed4a2",
"currency": "EUR",
"amount": 25600,
"transaction_type": "AUTHORIZE",
"success_url": "https://google.com/success-url",
"cancel_url": "https://google.com/failed-url",
"customer": {
"first_name": "John",
"last_name": "Doe",
"address": "Address",
"city": "City",
"country": "BA",
"postal_code": "10000",
"email": "email@email.com",
"phone": "00000"
},
"country": "BA",
"metadata": {
"simulated_flow": "VERSIONING_FINGERPRINT_Y_CHALLENGE",
"response_code": "APPROVED",
"payment_provider_response_message": "approved",
"payment_provider_response_code": "approved-code",
"approval_code": "N/A"
}
})
}
).then(response => {
if (!response.ok) {
throw new Error(`Network response was not ok: ${response.status}`);
}
return response.json(); // session id
})
})
}
