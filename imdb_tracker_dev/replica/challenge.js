// The replica's stand-in for AWS WAF's challenge.js: earn an aws-waf-token cookie, then reload.
// The real script solves a proof of work first, which takes a variable time: so does this one.
(async () => {
  const props = window.gokuProps;
  await new Promise(resolve => setTimeout(resolve, Math.random() * 100));
  const answer = props.key.split("").reverse().join("");
  const response = await fetch("/challenge/verify", {
    method: "POST",
    credentials: "include",
    headers: {"content-type": "application/json"},
    body: JSON.stringify({key: props.key, answer}),
  });
  if (response.ok) window.location.reload();
})();
