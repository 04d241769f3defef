// The replica's stand-in for IMDb's reviews-page bundle: "25 more" and "All" fetch further pages
// with the persisted TitleReviewsRefine GraphQL query and append review cards to the list.
(() => {
  const QUERY_HASH = "__QUERY_HASH__";
  const SORT = __SORT__;
  const next = JSON.parse(document.getElementById("__NEXT_DATA__").textContent);
  const content = next.props.pageProps.contentData || next.props.pageProps.mainContentData;
  const endpoint = next.runtimeConfig.cachedGraphQLEndpoint;
  const list = document.querySelector('[data-testid="tturv-review-list"]');
  const pagination = document.querySelector('[data-testid="tturv-pagination"]');
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const compact = new Intl.NumberFormat("en-US", {notation: "compact"});
  let cursor = content.pageInfo.endCursor;
  let hasNext = content.pageInfo.hasNextPage;
  let busy = false;

  const escape = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  const displayDate = (iso) => {
    const [year, month, day] = iso.split("-").map(Number);
    return `${MONTHS[month - 1]} ${day}, ${year}`;
  };

  function card(node) {
    const rating = node.authorRating == null ? "" :
      `<span aria-label="IMDb rating: ${node.authorRating}" class="ipc-rating-star review-rating">` +
      `<span class="ipc-rating-star--rating">${node.authorRating}</span>` +
      `<span class="ipc-rating-star--maxRating">/10</span></span>`;
    const spoiler = node.spoiler ?
      '<div class="ipc-signpost review-spoiler-signpost">Spoiler</div>' +
      '<button class="ipc-btn review-spoiler-button" type="button">Spoiler</button>' : "";
    const hidden = node.spoiler ? ' style="display:none"' : "";
    const author = node.author.username.text;
    return `<article class="sc-review-card user-review-item" data-testid="review-card-parent" ` +
      `data-review-id="${node.id}"><div class="ipc-list-card ipc-list-card--base">` +
      `<div class="ipc-list-card__content">${rating}` +
      `<div class="ipc-title" data-testid="review-summary"><a class="ipc-title-link-wrapper" ` +
      `href="/review/${node.id}/"><h3 class="ipc-title__text">${node.summary.originalText}</h3></a></div>` +
      `${spoiler}<div data-testid="review-overflow"${hidden}><div class="ipc-html-content ipc-html-content--base">` +
      `<div class="ipc-html-content-inner-div" role="presentation">${node.text.originalText.plaidHtml}</div></div></div>` +
      `</div><div class="ipc-list-card__actions"><ul class="ipc-inline-list" data-testid="reviews-author">` +
      `<li class="ipc-inline-list__item"><a data-testid="author-link" href="/user/${node.author.userId}/">` +
      `${escape(author)}</a></li><li class="ipc-inline-list__item review-date">` +
      `${displayDate(node.submissionDate)}</li></ul>` +
      `<div class="ipc-voting"><span class="ipc-voting__label__count ipc-voting__label__count--up">` +
      `${compact.format(node.helpfulness.upVotes)}</span>` +
      `<span class="ipc-voting__label__count ipc-voting__label__count--down">` +
      `${compact.format(node.helpfulness.downVotes)}</span></div></div></div></article>`;
  }

  async function load(first) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 11000);
    try {
      const response = await fetch(endpoint, {
        method: "POST",
        credentials: "include",
        signal: controller.signal,
        headers: {
          "content-type": "application/json",
          "x-imdb-client-name": "imdb-web-next",
          "x-imdb-user-country": "US",
          "x-imdb-user-language": "en-US",
        },
        body: JSON.stringify({
          operationName: "TitleReviewsRefine",
          variables: {after: cursor, const: next.query.tconst, filter: {}, first, locale: "en-US", sort: SORT},
          extensions: {persistedQuery: {sha256Hash: QUERY_HASH, version: 1}},
        }),
      });
      if (!response.ok) return false;
      const payload = await response.json();
      const reviews = payload && payload.data && payload.data.title && payload.data.title.reviews;
      if (!reviews) return false;
      list.insertAdjacentHTML("beforeend", reviews.edges.map((edge) => card(edge.node)).join(""));
      cursor = reviews.pageInfo.endCursor;
      hasNext = reviews.pageInfo.hasNextPage;
      if (!hasNext && pagination) pagination.remove();
      return true;
    } catch (error) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  if (pagination) {
    pagination.addEventListener("click", async (event) => {
      const button = event.target.closest("button");
      if (!button || busy) return;
      busy = true;
      try {
        if (button.dataset.action === "all") {
          while (hasNext && await load(50)) { /* keep loading */ }
        } else {
          await load(25);
        }
      } finally {
        busy = false;
      }
    });
  }
})();
